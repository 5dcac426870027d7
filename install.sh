#!/bin/sh
# Installs msv for the current user: the binary into $PREFIX/bin (default ~/.local/bin),
# shell completions for bash, zsh and fish, and the man page. No root needed; running it
# again replaces what it installed. `./install.sh --uninstall` removes it all.
#
#   ./install.sh                      build in release mode and install
#   PREFIX=/opt/msv ./install.sh      install elsewhere
#   ./install.sh --binary PATH        install an already built binary instead of building
#   ./install.sh --uninstall          remove everything this script installs
set -eu

PREFIX=${PREFIX:-"$HOME/.local"}
DATA=${XDG_DATA_HOME:-"$HOME/.local/share"}
CONFIG=${XDG_CONFIG_HOME:-"$HOME/.config"}
BIN="$PREFIX/bin/msv"
BASH_COMPLETION="$DATA/bash-completion/completions/msv"
ZSH_COMPLETION="$DATA/zsh/site-functions/_msv"
FISH_COMPLETION="$CONFIG/fish/completions/msv.fish"
MAN_PAGE="$DATA/man/man1/msv.1"

say() { printf 'install.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 2; }

uninstall=0
binary=""
while [ $# -gt 0 ]; do
    case "$1" in
        --uninstall) uninstall=1 ;;
        --binary) [ $# -ge 2 ] || die "--binary needs a path"; binary=$2; shift ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
    shift
done

if [ "$uninstall" = 1 ]; then
    for f in "$BIN" "$BASH_COMPLETION" "$ZSH_COMPLETION" "$FISH_COMPLETION" "$MAN_PAGE"; do
        if [ -e "$f" ]; then rm -f "$f" && say "removed $f"; fi
    done
    exit 0
fi

if [ -z "$binary" ]; then
    command -v cargo >/dev/null 2>&1 || die "cargo is not installed; install Rust from your distribution or rustup, then run this again"
    here=$(cd "$(dirname "$0")" && pwd)
    say "building msv in release mode (this takes a few minutes the first time)"
    cargo build --release --locked --manifest-path "$here/Cargo.toml" >&2
    binary=$(cargo metadata --format-version 1 --no-deps --manifest-path "$here/Cargo.toml" \
        | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release/msv
fi
[ -x "$binary" ] || die "$binary is not an executable msv binary"

# Write each file next to its destination first, then rename, so an interrupted install
# never leaves a half-written binary or script behind.
put() { # put DEST, content on stdin
    mkdir -p "$(dirname "$1")"
    cat > "$1.tmp.$$" && mv -f "$1.tmp.$$" "$1"
}
put "$BIN" < "$binary" && chmod 755 "$BIN"
"$BIN" completions bash | put "$BASH_COMPLETION"
"$BIN" completions zsh | put "$ZSH_COMPLETION"
"$BIN" completions fish | put "$FISH_COMPLETION"
"$BIN" man | put "$MAN_PAGE"
say "installed $("$BIN" version)"
say "  binary       $BIN"
say "  completions  $BASH_COMPLETION, $ZSH_COMPLETION, $FISH_COMPLETION"
say "  man page     $MAN_PAGE"

case ":$PATH:" in
    *":$PREFIX/bin:"*) ;;
    *) say "note: $PREFIX/bin is not on your PATH; add this to your shell's startup file:"
       say "  export PATH=\"$PREFIX/bin:\$PATH\"" ;;
esac
say "zsh: make sure $DATA/zsh/site-functions is in \$fpath before compinit"
say "next: msv new my-service --template rust-axum"
