#!/usr/bin/env bash
# `msv new` for each built-in template, release build: mean wall time over RUNS runs and the
# peak resident memory of one run. Usage: bench/new.sh [RUNS] (default 50).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-50}
cargo build --release --locked --quiet
msv=$(realpath "${CARGO_TARGET_DIR:-target}/release/msv")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

peak_kib() {
  # GNU time when installed, else getrusage of the finished child.
  if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n1
  else
    python3 - "$@" <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
  fi
}

printf '%-16s %8s %12s %10s\n' template files "mean ms" "peak MiB"
for t in $("$msv" templates list -o json | python3 -c 'import json,sys; [print(r["name"]) for r in json.load(sys.stdin) if r["source"]=="built-in"]'); do
  start=$(date +%s%N)
  for i in $(seq "$runs"); do
    "$msv" new "bench-$i" -t "$t" --dir "$work/$t-$i" --no-input -q >/dev/null
  done
  end=$(date +%s%N)
  files=$(find "$work/$t-1" -type f | wc -l)
  rm -rf "$work"/"$t"-*
  kib=$(peak_kib "$msv" new bench -t "$t" --dir "$work/$t-peak" --no-input -q)
  rm -rf "$work/$t-peak"
  awk -v t="$t" -v f="$files" -v ns=$((end - start)) -v n="$runs" -v k="$kib" \
    'BEGIN { printf "%-16s %8d %12.2f %10.1f\n", t, f, ns / n / 1e6, k / 1024 }'
done

# Side by side with cookiecutter on the same template: templates/rust-axum converted, here
# and now, into a cookiecutter template (the `.tera` files rendered by Jinja with the
# variables under `cookiecutter.`, the others copied unrendered, `.github/` kept since
# with_ci defaults to true). ROUNDS alternating hyperfine rounds (default 5) of CC_RUNS runs
# each (default 20); the ratio is taken within each round, as this machine is shared.
if ! command -v cookiecutter >/dev/null; then
  echo "cookiecutter not installed (pip install cookiecutter): comparison skipped"
  exit 0
fi
cc=$work/cc
python3 - templates/rust-axum "$cc/template" <<'PY'
import json, os, re, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
names = ["name", "name_snake", "name_kebab", "name_pascal", "port", "author", "year",
         "description", "with_ci"]
ident = re.compile(r"\b(" + "|".join(names) + r")\b")
tag = re.compile(r"(\{\{.*?\}\}|\{%.*?%\})", re.S)
root = os.path.join(dst, "{{cookiecutter.name}}")
raw = []
for d, _, files in os.walk(src):
    for f in files:
        rel = os.path.relpath(os.path.join(d, f), src)
        if rel == "template.toml":
            continue
        out = os.path.join(root, rel.removesuffix(".tera"))
        os.makedirs(os.path.dirname(out), exist_ok=True)
        if rel.endswith(".tera"):
            text = open(os.path.join(src, rel)).read()
            text = tag.sub(lambda m: ident.sub(r"cookiecutter.\1", m.group(0)), text)
            open(out, "w").write(text)
        else:
            shutil.copy(os.path.join(src, rel), out)
            raw.append(rel)
json.dump({
    "name": "bench", "description": "An HTTP microservice", "port": 8080,
    "author": "Bench Author", "year": 2026, "with_ci": True,
    "name_snake": "{{ cookiecutter.name|replace('-', '_') }}",
    "name_kebab": "{{ cookiecutter.name }}",
    "name_pascal": "{{ cookiecutter.name|replace('-', ' ')|title|replace(' ', '') }}",
    "_copy_without_render": raw,
}, open(os.path.join(dst, "cookiecutter.json"), "w"), indent=2)
PY
printf 'replay_dir: "%s"\ncookiecutters_dir: "%s"\n' "$cc/replay" "$cc/dirs" >"$cc/config.yaml"
export COOKIECUTTER_CONFIG=$cc/config.yaml
# Both outputs must hold the same files, or the comparison means nothing.
"$msv" new bench -t rust-axum --dir "$cc/msv-check/bench" --no-input -q >/dev/null
cookiecutter --no-input -o "$cc/cc-check" "$cc/template" >/dev/null
diff <(cd "$cc/msv-check/bench" && find . -type f ! -path './.msv/*' | sort) \
  <(cd "$cc/cc-check/bench" && find . -type f | sort) >&2 || {
  echo "the two trees differ in files; fix the conversion above" >&2
  exit 1
}
echo
echo "msv new vs cookiecutter, rust-axum; load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
for r in $(seq "${ROUNDS:-5}"); do
  hyperfine -N --style none --warmup 3 --runs "${CC_RUNS:-20}" --export-json "$cc/round-$r.json" \
    --prepare "rm -rf $cc/out" \
    "$msv new bench -t rust-axum --dir $cc/out/bench --no-input -q" \
    "cookiecutter --no-input -o $cc/out $cc/template" >/dev/null 2>&1
done
python3 - "$cc" "${ROUNDS:-5}" <<'PY'
import json, statistics, sys
cc, rounds = sys.argv[1], int(sys.argv[2])
means = [[r["mean"] for r in json.load(open(f"{cc}/round-{n}.json"))["results"]]
         for n in range(1, rounds + 1)]
ratios = [c / m for m, c in means]
print(f"msv new: {statistics.median(m for m, _ in means) * 1e3:.2f} ms, "
      f"cookiecutter: {statistics.median(c for _, c in means) * 1e3:.1f} ms (medians of round means); "
      f"cookiecutter / msv: {statistics.median(ratios):.0f}x (rounds {min(ratios):.0f}-{max(ratios):.0f}x)")
PY
