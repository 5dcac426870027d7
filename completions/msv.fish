# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_msv_global_optspecs
    string join \n context= n/namespace= kubeconfig= o/output= color= q/quiet v/verbose no-input h/help V/version
end

function __fish_msv_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_msv_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_msv_using_subcommand
    set -l cmd (__fish_msv_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c msv -n "__fish_msv_needs_command" -l context -d 'Kubernetes context to use (default: the kubeconfig\'s current-context) [env: MSV_CONTEXT]' -r
complete -c msv -n "__fish_msv_needs_command" -s n -l namespace -d 'Kubernetes namespace (default: msv.toml, then the context\'s namespace, then "default") [env: MSV_NAMESPACE]' -r
complete -c msv -n "__fish_msv_needs_command" -l kubeconfig -d 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config' -r -F
complete -c msv -n "__fish_msv_needs_command" -s o -l output -d 'Output format; each command lists the formats it supports' -r -f -a "table\t''
json\t''
yaml\t''
text\t''
raw\t''
tree\t''"
complete -c msv -n "__fish_msv_needs_command" -l color -d 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c msv -n "__fish_msv_needs_command" -s q -l quiet -d 'Print only data and errors, no progress or hints'
complete -c msv -n "__fish_msv_needs_command" -s v -l verbose -d 'Print diagnostics to stderr (repeat for more)'
complete -c msv -n "__fish_msv_needs_command" -l no-input -d 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
complete -c msv -n "__fish_msv_needs_command" -s h -l help -d 'Print help'
complete -c msv -n "__fish_msv_needs_command" -s V -l version -d 'Print version'
complete -c msv -n "__fish_msv_needs_command" -f -a "new" -d 'Create a new service from a template'
complete -c msv -n "__fish_msv_needs_command" -f -a "templates" -d 'List, inspect and validate templates'
complete -c msv -n "__fish_msv_needs_command" -f -a "update" -d 'Bring a service up to the current version of its template (three-way merge)'
complete -c msv -n "__fish_msv_needs_command" -f -a "build" -d 'Build the service\'s container image through the Docker Engine API'
complete -c msv -n "__fish_msv_needs_command" -f -a "push" -d 'Push the last built image to the registry in msv.toml'
complete -c msv -n "__fish_msv_needs_command" -f -a "deploy" -d 'Roll out a new version with a blue-green switch'
complete -c msv -n "__fish_msv_needs_command" -f -a "rollback" -d 'Switch traffic back to the previous color'
complete -c msv -n "__fish_msv_needs_command" -f -a "history" -d 'Show the deploy history of a service'
complete -c msv -n "__fish_msv_needs_command" -f -a "manifests" -d 'Print the Kubernetes objects a deploy would apply'
complete -c msv -n "__fish_msv_needs_command" -f -a "status" -d 'Show what is live and whether it is healthy'
complete -c msv -n "__fish_msv_needs_command" -f -a "logs" -d 'Print the logs of every pod of a service, merged'
complete -c msv -n "__fish_msv_needs_command" -f -a "traces" -d 'Find and show traces from Jaeger, Zipkin or Tempo'
complete -c msv -n "__fish_msv_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c msv -n "__fish_msv_needs_command" -f -a "completion" -d 'Print a shell completion script'
complete -c msv -n "__fish_msv_needs_command" -f -a "man" -d 'Print the man page (roff)'
complete -c msv -n "__fish_msv_needs_command" -f -a "config" -d 'Inspect the merged configuration'
complete -c msv -n "__fish_msv_needs_command" -f -a "version" -d 'Print the version'
complete -c msv -n "__fish_msv_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msv -n "__fish_msv_using_subcommand new" -s t -l template -d 'Template: a built-in name, a user template name, a local directory or a git URL' -r
complete -c msv -n "__fish_msv_using_subcommand new" -l set -d 'Set a template variable (repeatable)' -r
complete -c msv -n "__fish_msv_using_subcommand new" -s d -l dir -d 'Directory to create (default: ./NAME)' -r -F
complete -c msv -n "__fish_msv_using_subcommand new" -l context -d 'Kubernetes context to use (default: the kubeconfig\'s current-context) [env: MSV_CONTEXT]' -r
complete -c msv -n "__fish_msv_using_subcommand new" -s n -l namespace -d 'Kubernetes namespace (default: msv.toml, then the context\'s namespace, then "default") [env: MSV_NAMESPACE]' -r
complete -c msv -n "__fish_msv_using_subcommand new" -l kubeconfig -d 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config' -r -F
complete -c msv -n "__fish_msv_using_subcommand new" -s o -l output -d 'Output format; each command lists the formats it supports' -r -f -a "table\t''
json\t''
yaml\t''
text\t''
raw\t''
tree\t''"
complete -c msv -n "__fish_msv_using_subcommand new" -l color -d 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c msv -n "__fish_msv_using_subcommand new" -l force -d 'Replace an existing non-empty directory'
complete -c msv -n "__fish_msv_using_subcommand new" -s q -l quiet -d 'Print only data and errors, no progress or hints'
complete -c msv -n "__fish_msv_using_subcommand new" -s v -l verbose -d 'Print diagnostics to stderr (repeat for more)'
complete -c msv -n "__fish_msv_using_subcommand new" -l no-input -d 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
complete -c msv -n "__fish_msv_using_subcommand new" -s h -l help -d 'Print help'
complete -c msv -n "__fish_msv_using_subcommand new" -s V -l version -d 'Print version'
complete -c msv -n "__fish_msv_using_subcommand templates; and not __fish_seen_subcommand_from list show lint help" -l context -d 'Kubernetes context to use (default: the kubeconfig\'s current-context) [env: MSV_CONTEXT]' -r
complete -c msv -n "__fish_msv_using_subcommand templates; and not __fish_seen_subcommand_from list show lint help" -s n -l namespace -d 'Kubernetes namespace (default: msv.toml, then the context\'s namespace, then "default") [env: MSV_NAMESPACE]' -r
complete -c msv -n "__fish_msv_using_subcommand templates; and not __fish_seen_subcommand_from list show lint help" -l kubeconfig -d 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config' -r -F
complete -c msv -n "__fish_msv_using_subcommand templates; and not __fish_seen_subcommand_from list show lint help" -s o -l output -d 'Output format; each command lists the formats it supports' -r -f -a "table\t''
json\t''
yaml\t''
text\t''
raw\t''
tree\t''"
complete -c msv -n "__fish_msv_using_subcommand templates; and not __fish_seen_subcommand_from list show lint help" -l color -d 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c msv -n "__fish_msv_using_subcommand templates; and not __fish_seen_subcommand_from list show lint help" -s q -l quiet -d 'Print only data and errors, no progress or hints'
complete -c msv -n "__fish_msv_using_subcommand templates; and not __fish_seen_subcommand_from list show lint help" -s v -l verbose -d 'Print diagnostics to stderr (repeat for more)'
complete -c msv -n "__fish_msv_using_subcommand templates; and not __fish_seen_subcommand_from list show lint help" -l no-input -d 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
complete -c msv -n "__fish_msv_using_subcommand templates; and not __fish_seen_subcommand_from list show lint help" -s h -l help -d 'Print help'
complete -c msv -n "__fish_msv_using_subcommand templates; and not __fish_seen_subcommand_from list show lint help" -s V -l version -d 'Print version'
complete -c msv -n "__fish_msv_using_subcommand templates; and not __fish_seen_subcommand_from list show lint help" -f -a "list" -d 'List built-in and user templates and where each comes from'
complete -c msv -n "__fish_msv_using_subcommand templates; and not __fish_seen_subcommand_from list show lint help" -f -a "show" -d 'Show a template\'s description and variables'
complete -c msv -n "__fish_msv_using_subcommand templates; and not __fish_seen_subcommand_from list show lint help" -f -a "lint" -d 'Validate a template directory: syntax, variables, paths, template.toml keys'
complete -c msv -n "__fish_msv_using_subcommand templates; and not __fish_seen_subcommand_from list show lint help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from list" -l context -d 'Kubernetes context to use (default: the kubeconfig\'s current-context) [env: MSV_CONTEXT]' -r
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from list" -s n -l namespace -d 'Kubernetes namespace (default: msv.toml, then the context\'s namespace, then "default") [env: MSV_NAMESPACE]' -r
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from list" -l kubeconfig -d 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config' -r -F
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format; each command lists the formats it supports' -r -f -a "table\t''
json\t''
yaml\t''
text\t''
raw\t''
tree\t''"
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from list" -l color -d 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only data and errors, no progress or hints'
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Print diagnostics to stderr (repeat for more)'
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from list" -l no-input -d 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from show" -l context -d 'Kubernetes context to use (default: the kubeconfig\'s current-context) [env: MSV_CONTEXT]' -r
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from show" -s n -l namespace -d 'Kubernetes namespace (default: msv.toml, then the context\'s namespace, then "default") [env: MSV_NAMESPACE]' -r
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from show" -l kubeconfig -d 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config' -r -F
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from show" -s o -l output -d 'Output format; each command lists the formats it supports' -r -f -a "table\t''
json\t''
yaml\t''
text\t''
raw\t''
tree\t''"
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from show" -l color -d 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only data and errors, no progress or hints'
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Print diagnostics to stderr (repeat for more)'
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from show" -l no-input -d 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from lint" -l context -d 'Kubernetes context to use (default: the kubeconfig\'s current-context) [env: MSV_CONTEXT]' -r
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from lint" -s n -l namespace -d 'Kubernetes namespace (default: msv.toml, then the context\'s namespace, then "default") [env: MSV_NAMESPACE]' -r
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from lint" -l kubeconfig -d 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config' -r -F
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from lint" -s o -l output -d 'Output format; each command lists the formats it supports' -r -f -a "table\t''
json\t''
yaml\t''
text\t''
raw\t''
tree\t''"
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from lint" -l color -d 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from lint" -s q -l quiet -d 'Print only data and errors, no progress or hints'
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from lint" -s v -l verbose -d 'Print diagnostics to stderr (repeat for more)'
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from lint" -l no-input -d 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from lint" -s h -l help -d 'Print help'
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from lint" -s V -l version -d 'Print version'
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from help" -f -a "list" -d 'List built-in and user templates and where each comes from'
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show a template\'s description and variables'
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from help" -f -a "lint" -d 'Validate a template directory: syntax, variables, paths, template.toml keys'
complete -c msv -n "__fish_msv_using_subcommand templates; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msv -n "__fish_msv_using_subcommand update" -l set -d 'Set a template variable: a new one, or a new answer to an old one (repeatable)' -r
complete -c msv -n "__fish_msv_using_subcommand update" -l to -d 'Update a git template\'s service to this branch, tag or commit (default: the newest)' -r
complete -c msv -n "__fish_msv_using_subcommand update" -l context -d 'Kubernetes context to use (default: the kubeconfig\'s current-context) [env: MSV_CONTEXT]' -r
complete -c msv -n "__fish_msv_using_subcommand update" -s n -l namespace -d 'Kubernetes namespace (default: msv.toml, then the context\'s namespace, then "default") [env: MSV_NAMESPACE]' -r
complete -c msv -n "__fish_msv_using_subcommand update" -l kubeconfig -d 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config' -r -F
complete -c msv -n "__fish_msv_using_subcommand update" -s o -l output -d 'Output format; each command lists the formats it supports' -r -f -a "table\t''
json\t''
yaml\t''
text\t''
raw\t''
tree\t''"
complete -c msv -n "__fish_msv_using_subcommand update" -l color -d 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c msv -n "__fish_msv_using_subcommand update" -l dry-run -d 'Print the unified diff the update would apply and change nothing'
complete -c msv -n "__fish_msv_using_subcommand update" -l allow-dirty -d 'Update even when the git work tree has uncommitted changes'
complete -c msv -n "__fish_msv_using_subcommand update" -l continue -d 'Finish an update that left conflicts, once no conflict marker is left in its files'
complete -c msv -n "__fish_msv_using_subcommand update" -l abort -d 'Undo an update that left conflicts: every file it touched back as it was'
complete -c msv -n "__fish_msv_using_subcommand update" -s q -l quiet -d 'Print only data and errors, no progress or hints'
complete -c msv -n "__fish_msv_using_subcommand update" -s v -l verbose -d 'Print diagnostics to stderr (repeat for more)'
complete -c msv -n "__fish_msv_using_subcommand update" -l no-input -d 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
complete -c msv -n "__fish_msv_using_subcommand update" -s h -l help -d 'Print help'
complete -c msv -n "__fish_msv_using_subcommand update" -s V -l version -d 'Print version'
complete -c msv -n "__fish_msv_using_subcommand build" -s t -l tag -d 'Extra tag for the image (repeatable)' -r
complete -c msv -n "__fish_msv_using_subcommand build" -s f -l file -d 'The Dockerfile, in or outside the service directory (default: Dockerfile in it). PATH.dockerignore next to it, when there is one, replaces the .dockerignore' -r -F
complete -c msv -n "__fish_msv_using_subcommand build" -l build-arg -d 'Build-time variable (repeatable)' -r
complete -c msv -n "__fish_msv_using_subcommand build" -l target -d 'Build this stage of a multi-stage Dockerfile' -r
complete -c msv -n "__fish_msv_using_subcommand build" -l platform -d 'Target platform, e.g. linux/amd64' -r
complete -c msv -n "__fish_msv_using_subcommand build" -l builder -d 'The engine\'s builder: BuildKit where the engine has it, else the classic builder' -r -f -a "auto\t'BuildKit where the engine has it (API 1.39+, Linux), else the classic builder'
buildkit\t'BuildKit, or an error when the engine has none'
classic\t'The engine\'s classic builder (no RUN --mount, no --secret, no --ssh)'"
complete -c msv -n "__fish_msv_using_subcommand build" -l secret -d 'A secret for `RUN --mount=type=secret,id=ID` (repeatable; BuildKit). Its value is read by the build only: it is not in the image, its history or msv\'s output' -r
complete -c msv -n "__fish_msv_using_subcommand build" -l ssh -d 'An ssh agent for `RUN --mount=type=ssh`: `default` (SSH_AUTH_SOCK) or ID=SOCKET (repeatable; BuildKit)' -r
complete -c msv -n "__fish_msv_using_subcommand build" -l explain -d 'Show what the build context holds and why, without building: each top-level entry\'s size and file count and the largest files; with PATH, the .dockerignore line that excludes or re-includes it (put DIR before --explain)' -r
complete -c msv -n "__fish_msv_using_subcommand build" -s p -l member -d 'At a workspace\'s root: build only this member (repeatable; default: every member)' -r
complete -c msv -n "__fish_msv_using_subcommand build" -l context -d 'Kubernetes context to use (default: the kubeconfig\'s current-context) [env: MSV_CONTEXT]' -r
complete -c msv -n "__fish_msv_using_subcommand build" -s n -l namespace -d 'Kubernetes namespace (default: msv.toml, then the context\'s namespace, then "default") [env: MSV_NAMESPACE]' -r
complete -c msv -n "__fish_msv_using_subcommand build" -l kubeconfig -d 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config' -r -F
complete -c msv -n "__fish_msv_using_subcommand build" -s o -l output -d 'Output format; each command lists the formats it supports' -r -f -a "table\t''
json\t''
yaml\t''
text\t''
raw\t''
tree\t''"
complete -c msv -n "__fish_msv_using_subcommand build" -l color -d 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c msv -n "__fish_msv_using_subcommand build" -l no-cache -d 'Do not use the build cache'
complete -c msv -n "__fish_msv_using_subcommand build" -l pull -d 'Always try to pull newer versions of base images'
complete -c msv -n "__fish_msv_using_subcommand build" -s q -l quiet -d 'Print only data and errors, no progress or hints'
complete -c msv -n "__fish_msv_using_subcommand build" -s v -l verbose -d 'Print diagnostics to stderr (repeat for more)'
complete -c msv -n "__fish_msv_using_subcommand build" -l no-input -d 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
complete -c msv -n "__fish_msv_using_subcommand build" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c msv -n "__fish_msv_using_subcommand build" -s V -l version -d 'Print version'
complete -c msv -n "__fish_msv_using_subcommand push" -s p -l member -d 'At a workspace\'s root: push only this member\'s last built image (repeatable; default: every member\'s)' -r
complete -c msv -n "__fish_msv_using_subcommand push" -l context -d 'Kubernetes context to use (default: the kubeconfig\'s current-context) [env: MSV_CONTEXT]' -r
complete -c msv -n "__fish_msv_using_subcommand push" -s n -l namespace -d 'Kubernetes namespace (default: msv.toml, then the context\'s namespace, then "default") [env: MSV_NAMESPACE]' -r
complete -c msv -n "__fish_msv_using_subcommand push" -l kubeconfig -d 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config' -r -F
complete -c msv -n "__fish_msv_using_subcommand push" -s o -l output -d 'Output format; each command lists the formats it supports' -r -f -a "table\t''
json\t''
yaml\t''
text\t''
raw\t''
tree\t''"
complete -c msv -n "__fish_msv_using_subcommand push" -l color -d 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c msv -n "__fish_msv_using_subcommand push" -s q -l quiet -d 'Print only data and errors, no progress or hints'
complete -c msv -n "__fish_msv_using_subcommand push" -s v -l verbose -d 'Print diagnostics to stderr (repeat for more)'
complete -c msv -n "__fish_msv_using_subcommand push" -l no-input -d 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
complete -c msv -n "__fish_msv_using_subcommand push" -s h -l help -d 'Print help'
complete -c msv -n "__fish_msv_using_subcommand push" -s V -l version -d 'Print version'
complete -c msv -n "__fish_msv_using_subcommand deploy" -l image -d 'Deploy this image instead of building and pushing first; at a workspace\'s root, MEMBER=REF for one member (repeatable)' -r
complete -c msv -n "__fish_msv_using_subcommand deploy" -s p -l member -d 'At a workspace\'s root: deploy only this member (repeatable; default: every member)' -r
complete -c msv -n "__fish_msv_using_subcommand deploy" -l replicas -d 'Replicas of the new color (default: the live color\'s count, else msv.toml) [deploy.replicas]' -r
complete -c msv -n "__fish_msv_using_subcommand deploy" -l timeout -d 'How long the new color may take to become available [msv.toml: deploy.timeout]' -r
complete -c msv -n "__fish_msv_using_subcommand deploy" -l verify-for -d 'Keep probing after the switch for this long; switch back on failure [deploy.verify_for]' -r
complete -c msv -n "__fish_msv_using_subcommand deploy" -l scale-down-delay -d 'Scale the old color down after this delay [deploy.scale_down_delay]' -r
complete -c msv -n "__fish_msv_using_subcommand deploy" -l dry-run -d 'Show what would be done without changing the cluster. `--dry-run` and `--dry-run=client` plan on the client; `--dry-run=server` also sends the objects the deploy would write to the API server with dryRun=All, so its validation and admission (quotas, webhooks, immutable fields) answer, and nothing is stored' -r -f -a "client\t'Plan on the client only (the default)'
server\t'Also send the writes to the API server as dryRun=All'"
complete -c msv -n "__fish_msv_using_subcommand deploy" -l canary -d 'Before the switch, soak the candidate on these shares of live traffic, one step after another, judged beside the live color, e.g. 10%,50% ("" for none) [deploy.canary.steps]' -r
complete -c msv -n "__fish_msv_using_subcommand deploy" -l canary-pause -d 'How long each canary step lasts [deploy.canary.pause]' -r
complete -c msv -n "__fish_msv_using_subcommand deploy" -l context -d 'Kubernetes context to use (default: the kubeconfig\'s current-context) [env: MSV_CONTEXT]' -r
complete -c msv -n "__fish_msv_using_subcommand deploy" -s n -l namespace -d 'Kubernetes namespace (default: msv.toml, then the context\'s namespace, then "default") [env: MSV_NAMESPACE]' -r
complete -c msv -n "__fish_msv_using_subcommand deploy" -l kubeconfig -d 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config' -r -F
complete -c msv -n "__fish_msv_using_subcommand deploy" -s o -l output -d 'Output format; each command lists the formats it supports' -r -f -a "table\t''
json\t''
yaml\t''
text\t''
raw\t''
tree\t''"
complete -c msv -n "__fish_msv_using_subcommand deploy" -l color -d 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c msv -n "__fish_msv_using_subcommand deploy" -l keep-old -d 'Keep the old color running for an instant rollback [deploy.keep_old]'
complete -c msv -n "__fish_msv_using_subcommand deploy" -l keep-failed -d 'Leave a failed candidate running for inspection instead of scaling it to zero [deploy.keep_failed]'
complete -c msv -n "__fish_msv_using_subcommand deploy" -l create-namespace -d 'Create the namespace if it does not exist'
complete -c msv -n "__fish_msv_using_subcommand deploy" -l force -d 'Roll out even when the image is already live (to the other color, as any deploy)'
complete -c msv -n "__fish_msv_using_subcommand deploy" -l adopt -d 'Take over a service that runs today as a plain Deployment and Service of the service\'s name (made with kubectl or Helm): a new color from the same pod template, checked, then the Service\'s selector moved to it and the old Deployment scaled to 0 (never deleted)'
complete -c msv -n "__fish_msv_using_subcommand deploy" -s q -l quiet -d 'Print only data and errors, no progress or hints'
complete -c msv -n "__fish_msv_using_subcommand deploy" -s v -l verbose -d 'Print diagnostics to stderr (repeat for more)'
complete -c msv -n "__fish_msv_using_subcommand deploy" -l no-input -d 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
complete -c msv -n "__fish_msv_using_subcommand deploy" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c msv -n "__fish_msv_using_subcommand deploy" -s V -l version -d 'Print version'
complete -c msv -n "__fish_msv_using_subcommand rollback" -l to-revision -d 'Roll back to this history revision instead of the previous color' -r
complete -c msv -n "__fish_msv_using_subcommand rollback" -l timeout -d 'How long the old color may take to become available again [deploy.timeout]' -r
complete -c msv -n "__fish_msv_using_subcommand rollback" -l release -d 'Roll a whole workspace release back: each member that went live in it returns to its revision before, switched all-or-nothing (`msv history --release` lists them)' -r
complete -c msv -n "__fish_msv_using_subcommand rollback" -l context -d 'Kubernetes context to use (default: the kubeconfig\'s current-context) [env: MSV_CONTEXT]' -r
complete -c msv -n "__fish_msv_using_subcommand rollback" -s n -l namespace -d 'Kubernetes namespace (default: msv.toml, then the context\'s namespace, then "default") [env: MSV_NAMESPACE]' -r
complete -c msv -n "__fish_msv_using_subcommand rollback" -l kubeconfig -d 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config' -r -F
complete -c msv -n "__fish_msv_using_subcommand rollback" -s o -l output -d 'Output format; each command lists the formats it supports' -r -f -a "table\t''
json\t''
yaml\t''
text\t''
raw\t''
tree\t''"
complete -c msv -n "__fish_msv_using_subcommand rollback" -l color -d 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c msv -n "__fish_msv_using_subcommand rollback" -l force -d 'Roll out the revision\'s image even when it is already live (to the other color)'
complete -c msv -n "__fish_msv_using_subcommand rollback" -s q -l quiet -d 'Print only data and errors, no progress or hints'
complete -c msv -n "__fish_msv_using_subcommand rollback" -s v -l verbose -d 'Print diagnostics to stderr (repeat for more)'
complete -c msv -n "__fish_msv_using_subcommand rollback" -l no-input -d 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
complete -c msv -n "__fish_msv_using_subcommand rollback" -s h -l help -d 'Print help'
complete -c msv -n "__fish_msv_using_subcommand rollback" -s V -l version -d 'Print version'
complete -c msv -n "__fish_msv_using_subcommand history" -s p -l member -d 'A member of the workspace, as the service (at its root, instead of the releases)' -r
complete -c msv -n "__fish_msv_using_subcommand history" -l limit -d 'Show at most this many entries, newest first' -r
complete -c msv -n "__fish_msv_using_subcommand history" -l release -d 'The workspace\'s releases (the default at its root), or with ID what each member recorded in that release' -r
complete -c msv -n "__fish_msv_using_subcommand history" -l context -d 'Kubernetes context to use (default: the kubeconfig\'s current-context) [env: MSV_CONTEXT]' -r
complete -c msv -n "__fish_msv_using_subcommand history" -s n -l namespace -d 'Kubernetes namespace (default: msv.toml, then the context\'s namespace, then "default") [env: MSV_NAMESPACE]' -r
complete -c msv -n "__fish_msv_using_subcommand history" -l kubeconfig -d 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config' -r -F
complete -c msv -n "__fish_msv_using_subcommand history" -s o -l output -d 'Output format; each command lists the formats it supports' -r -f -a "table\t''
json\t''
yaml\t''
text\t''
raw\t''
tree\t''"
complete -c msv -n "__fish_msv_using_subcommand history" -l color -d 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c msv -n "__fish_msv_using_subcommand history" -s q -l quiet -d 'Print only data and errors, no progress or hints'
complete -c msv -n "__fish_msv_using_subcommand history" -s v -l verbose -d 'Print diagnostics to stderr (repeat for more)'
complete -c msv -n "__fish_msv_using_subcommand history" -l no-input -d 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
complete -c msv -n "__fish_msv_using_subcommand history" -s h -l help -d 'Print help'
complete -c msv -n "__fish_msv_using_subcommand history" -s V -l version -d 'Print version'
complete -c msv -n "__fish_msv_using_subcommand manifests" -l image -d 'Image to put in the Deployment (default: the last pushed image by digest, else <repository>:latest)' -r
complete -c msv -n "__fish_msv_using_subcommand manifests" -l target-color -d 'Color of the Deployment to render (`--color` is the global output color flag)' -r -f -a "blue\t''
green\t''"
complete -c msv -n "__fish_msv_using_subcommand manifests" -l replicas -d 'Replicas of the Deployment (default: msv.toml) [deploy.replicas]' -r
complete -c msv -n "__fish_msv_using_subcommand manifests" -l context -d 'Kubernetes context to use (default: the kubeconfig\'s current-context) [env: MSV_CONTEXT]' -r
complete -c msv -n "__fish_msv_using_subcommand manifests" -s n -l namespace -d 'Kubernetes namespace (default: msv.toml, then the context\'s namespace, then "default") [env: MSV_NAMESPACE]' -r
complete -c msv -n "__fish_msv_using_subcommand manifests" -l kubeconfig -d 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config' -r -F
complete -c msv -n "__fish_msv_using_subcommand manifests" -s o -l output -d 'Output format; each command lists the formats it supports' -r -f -a "table\t''
json\t''
yaml\t''
text\t''
raw\t''
tree\t''"
complete -c msv -n "__fish_msv_using_subcommand manifests" -l color -d 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c msv -n "__fish_msv_using_subcommand manifests" -s q -l quiet -d 'Print only data and errors, no progress or hints'
complete -c msv -n "__fish_msv_using_subcommand manifests" -s v -l verbose -d 'Print diagnostics to stderr (repeat for more)'
complete -c msv -n "__fish_msv_using_subcommand manifests" -l no-input -d 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
complete -c msv -n "__fish_msv_using_subcommand manifests" -s h -l help -d 'Print help'
complete -c msv -n "__fish_msv_using_subcommand manifests" -s V -l version -d 'Print version'
complete -c msv -n "__fish_msv_using_subcommand status" -s p -l member -d 'A member of the workspace to show, as a service name (repeatable)' -r
complete -c msv -n "__fish_msv_using_subcommand status" -l probe-timeout -d 'Give up on a health probe after this long [deploy.probe_timeout, default 3s]' -r
complete -c msv -n "__fish_msv_using_subcommand status" -l context -d 'Kubernetes context to use (default: the kubeconfig\'s current-context) [env: MSV_CONTEXT]' -r
complete -c msv -n "__fish_msv_using_subcommand status" -s n -l namespace -d 'Kubernetes namespace (default: msv.toml, then the context\'s namespace, then "default") [env: MSV_NAMESPACE]' -r
complete -c msv -n "__fish_msv_using_subcommand status" -l kubeconfig -d 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config' -r -F
complete -c msv -n "__fish_msv_using_subcommand status" -s o -l output -d 'Output format; each command lists the formats it supports' -r -f -a "table\t''
json\t''
yaml\t''
text\t''
raw\t''
tree\t''"
complete -c msv -n "__fish_msv_using_subcommand status" -l color -d 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c msv -n "__fish_msv_using_subcommand status" -s A -l all-namespaces -d 'Look in every namespace'
complete -c msv -n "__fish_msv_using_subcommand status" -l pods -d 'Probe every pod, not only the service'
complete -c msv -n "__fish_msv_using_subcommand status" -s w -l watch -d 'Redraw when something changes (terminal only)'
complete -c msv -n "__fish_msv_using_subcommand status" -s q -l quiet -d 'Print only data and errors, no progress or hints'
complete -c msv -n "__fish_msv_using_subcommand status" -s v -l verbose -d 'Print diagnostics to stderr (repeat for more)'
complete -c msv -n "__fish_msv_using_subcommand status" -l no-input -d 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
complete -c msv -n "__fish_msv_using_subcommand status" -s h -l help -d 'Print help'
complete -c msv -n "__fish_msv_using_subcommand status" -s V -l version -d 'Print version'
complete -c msv -n "__fish_msv_using_subcommand logs" -l member -d 'At a workspace\'s root: read this member\'s pods (repeatable; `-p` is --previous, as in kubectl)' -r
complete -c msv -n "__fish_msv_using_subcommand logs" -l which -d 'Which color\'s pods' -r -f -a "live\t'Pods of the color that receives traffic'
blue\t''
green\t''
all\t'Pods of both colors'"
complete -c msv -n "__fish_msv_using_subcommand logs" -l since -d 'Only lines newer than this, e.g. 10m' -r
complete -c msv -n "__fish_msv_using_subcommand logs" -l tail -d 'Lines to show from the end of each pod\'s log' -r
complete -c msv -n "__fish_msv_using_subcommand logs" -s c -l container -d 'Container to read (default: the service\'s container)' -r
complete -c msv -n "__fish_msv_using_subcommand logs" -l context -d 'Kubernetes context to use (default: the kubeconfig\'s current-context) [env: MSV_CONTEXT]' -r
complete -c msv -n "__fish_msv_using_subcommand logs" -s n -l namespace -d 'Kubernetes namespace (default: msv.toml, then the context\'s namespace, then "default") [env: MSV_NAMESPACE]' -r
complete -c msv -n "__fish_msv_using_subcommand logs" -l kubeconfig -d 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config' -r -F
complete -c msv -n "__fish_msv_using_subcommand logs" -s o -l output -d 'Output format; each command lists the formats it supports' -r -f -a "table\t''
json\t''
yaml\t''
text\t''
raw\t''
tree\t''"
complete -c msv -n "__fish_msv_using_subcommand logs" -l color -d 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c msv -n "__fish_msv_using_subcommand logs" -s f -l follow -d 'Keep streaming, including pods that start later'
complete -c msv -n "__fish_msv_using_subcommand logs" -s p -l previous -d 'The log of each container\'s previous run (the one before its last restart), as `kubectl logs --previous`: what a crash-looping container said before it died'
complete -c msv -n "__fish_msv_using_subcommand logs" -l timestamps -d 'Start each line with the time the kubelet received it (RFC 3339)'
complete -c msv -n "__fish_msv_using_subcommand logs" -s q -l quiet -d 'Print only data and errors, no progress or hints'
complete -c msv -n "__fish_msv_using_subcommand logs" -s v -l verbose -d 'Print diagnostics to stderr (repeat for more)'
complete -c msv -n "__fish_msv_using_subcommand logs" -l no-input -d 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
complete -c msv -n "__fish_msv_using_subcommand logs" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c msv -n "__fish_msv_using_subcommand logs" -s V -l version -d 'Print version'
complete -c msv -n "__fish_msv_using_subcommand traces; and not __fish_seen_subcommand_from list show help" -l since -d 'How far back to look' -r
complete -c msv -n "__fish_msv_using_subcommand traces; and not __fish_seen_subcommand_from list show help" -l limit -d 'At most this many traces' -r
complete -c msv -n "__fish_msv_using_subcommand traces; and not __fish_seen_subcommand_from list show help" -l operation -d 'Only traces whose root or any span has this operation' -r
complete -c msv -n "__fish_msv_using_subcommand traces; and not __fish_seen_subcommand_from list show help" -l min-duration -d 'Only traces at least this long' -r
complete -c msv -n "__fish_msv_using_subcommand traces; and not __fish_seen_subcommand_from list show help" -l tag -d 'Only traces with this tag (repeatable)' -r
complete -c msv -n "__fish_msv_using_subcommand traces; and not __fish_seen_subcommand_from list show help" -l backend -d 'Trace backend type [traces.backend, MSV_TRACES_BACKEND]' -r -f -a "jaeger\t'Jaeger query API v1 (Jaeger 1.x and 2.x)'
jaeger-v3\t'Jaeger query API v3 (OTLP/JSON)'
zipkin\t''
tempo\t''"
complete -c msv -n "__fish_msv_using_subcommand traces; and not __fish_seen_subcommand_from list show help" -l url -d 'Base URL of the backend\'s query API [traces.url, MSV_TRACES_URL]' -r
complete -c msv -n "__fish_msv_using_subcommand traces; and not __fish_seen_subcommand_from list show help" -l backend-service -d 'Reach the backend inside the cluster through the API server, as NAMESPACE/SERVICE:PORT' -r
complete -c msv -n "__fish_msv_using_subcommand traces; and not __fish_seen_subcommand_from list show help" -l context -d 'Kubernetes context to use (default: the kubeconfig\'s current-context) [env: MSV_CONTEXT]' -r
complete -c msv -n "__fish_msv_using_subcommand traces; and not __fish_seen_subcommand_from list show help" -s n -l namespace -d 'Kubernetes namespace (default: msv.toml, then the context\'s namespace, then "default") [env: MSV_NAMESPACE]' -r
complete -c msv -n "__fish_msv_using_subcommand traces; and not __fish_seen_subcommand_from list show help" -l kubeconfig -d 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config' -r -F
complete -c msv -n "__fish_msv_using_subcommand traces; and not __fish_seen_subcommand_from list show help" -s o -l output -d 'Output format; each command lists the formats it supports' -r -f -a "table\t''
json\t''
yaml\t''
text\t''
raw\t''
tree\t''"
complete -c msv -n "__fish_msv_using_subcommand traces; and not __fish_seen_subcommand_from list show help" -l color -d 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c msv -n "__fish_msv_using_subcommand traces; and not __fish_seen_subcommand_from list show help" -l errors -d 'Only traces with an error'
complete -c msv -n "__fish_msv_using_subcommand traces; and not __fish_seen_subcommand_from list show help" -s q -l quiet -d 'Print only data and errors, no progress or hints'
complete -c msv -n "__fish_msv_using_subcommand traces; and not __fish_seen_subcommand_from list show help" -s v -l verbose -d 'Print diagnostics to stderr (repeat for more)'
complete -c msv -n "__fish_msv_using_subcommand traces; and not __fish_seen_subcommand_from list show help" -l no-input -d 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
complete -c msv -n "__fish_msv_using_subcommand traces; and not __fish_seen_subcommand_from list show help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c msv -n "__fish_msv_using_subcommand traces; and not __fish_seen_subcommand_from list show help" -s V -l version -d 'Print version'
complete -c msv -n "__fish_msv_using_subcommand traces; and not __fish_seen_subcommand_from list show help" -a "list" -d 'List recent traces of a service (the default)'
complete -c msv -n "__fish_msv_using_subcommand traces; and not __fish_seen_subcommand_from list show help" -a "show" -d 'Draw one trace as a waterfall'
complete -c msv -n "__fish_msv_using_subcommand traces; and not __fish_seen_subcommand_from list show help" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from list" -l since -d 'How far back to look' -r
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from list" -l limit -d 'At most this many traces' -r
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from list" -l operation -d 'Only traces whose root or any span has this operation' -r
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from list" -l min-duration -d 'Only traces at least this long' -r
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from list" -l tag -d 'Only traces with this tag (repeatable)' -r
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from list" -l backend -d 'Trace backend type [traces.backend, MSV_TRACES_BACKEND]' -r -f -a "jaeger\t'Jaeger query API v1 (Jaeger 1.x and 2.x)'
jaeger-v3\t'Jaeger query API v3 (OTLP/JSON)'
zipkin\t''
tempo\t''"
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from list" -l url -d 'Base URL of the backend\'s query API [traces.url, MSV_TRACES_URL]' -r
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from list" -l backend-service -d 'Reach the backend inside the cluster through the API server, as NAMESPACE/SERVICE:PORT' -r
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from list" -l context -d 'Kubernetes context to use (default: the kubeconfig\'s current-context) [env: MSV_CONTEXT]' -r
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from list" -s n -l namespace -d 'Kubernetes namespace (default: msv.toml, then the context\'s namespace, then "default") [env: MSV_NAMESPACE]' -r
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from list" -l kubeconfig -d 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config' -r -F
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format; each command lists the formats it supports' -r -f -a "table\t''
json\t''
yaml\t''
text\t''
raw\t''
tree\t''"
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from list" -l color -d 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from list" -l errors -d 'Only traces with an error'
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only data and errors, no progress or hints'
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Print diagnostics to stderr (repeat for more)'
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from list" -l no-input -d 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from show" -l file -d 'Read a saved trace (Jaeger, Zipkin, OTLP or Tempo JSON, detected from its content)' -r -F
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from show" -l backend -d 'Trace backend type [traces.backend, MSV_TRACES_BACKEND]' -r -f -a "jaeger\t'Jaeger query API v1 (Jaeger 1.x and 2.x)'
jaeger-v3\t'Jaeger query API v3 (OTLP/JSON)'
zipkin\t''
tempo\t''"
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from show" -l url -d 'Base URL of the backend\'s query API [traces.url, MSV_TRACES_URL]' -r
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from show" -l backend-service -d 'Reach the backend inside the cluster through the API server, as NAMESPACE/SERVICE:PORT' -r
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from show" -l context -d 'Kubernetes context to use (default: the kubeconfig\'s current-context) [env: MSV_CONTEXT]' -r
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from show" -s n -l namespace -d 'Kubernetes namespace (default: msv.toml, then the context\'s namespace, then "default") [env: MSV_NAMESPACE]' -r
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from show" -l kubeconfig -d 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config' -r -F
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from show" -s o -l output -d 'Output format; each command lists the formats it supports' -r -f -a "table\t''
json\t''
yaml\t''
text\t''
raw\t''
tree\t''"
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from show" -l color -d 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only data and errors, no progress or hints'
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Print diagnostics to stderr (repeat for more)'
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from show" -l no-input -d 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from help" -f -a "list" -d 'List recent traces of a service (the default)'
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from help" -f -a "show" -d 'Draw one trace as a waterfall'
complete -c msv -n "__fish_msv_using_subcommand traces; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msv -n "__fish_msv_using_subcommand completions" -l context -d 'Kubernetes context to use (default: the kubeconfig\'s current-context) [env: MSV_CONTEXT]' -r
complete -c msv -n "__fish_msv_using_subcommand completions" -s n -l namespace -d 'Kubernetes namespace (default: msv.toml, then the context\'s namespace, then "default") [env: MSV_NAMESPACE]' -r
complete -c msv -n "__fish_msv_using_subcommand completions" -l kubeconfig -d 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config' -r -F
complete -c msv -n "__fish_msv_using_subcommand completions" -s o -l output -d 'Output format; each command lists the formats it supports' -r -f -a "table\t''
json\t''
yaml\t''
text\t''
raw\t''
tree\t''"
complete -c msv -n "__fish_msv_using_subcommand completions" -l color -d 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c msv -n "__fish_msv_using_subcommand completions" -s q -l quiet -d 'Print only data and errors, no progress or hints'
complete -c msv -n "__fish_msv_using_subcommand completions" -s v -l verbose -d 'Print diagnostics to stderr (repeat for more)'
complete -c msv -n "__fish_msv_using_subcommand completions" -l no-input -d 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
complete -c msv -n "__fish_msv_using_subcommand completions" -s h -l help -d 'Print help'
complete -c msv -n "__fish_msv_using_subcommand completions" -s V -l version -d 'Print version'
complete -c msv -n "__fish_msv_using_subcommand completion" -l context -d 'Kubernetes context to use (default: the kubeconfig\'s current-context) [env: MSV_CONTEXT]' -r
complete -c msv -n "__fish_msv_using_subcommand completion" -s n -l namespace -d 'Kubernetes namespace (default: msv.toml, then the context\'s namespace, then "default") [env: MSV_NAMESPACE]' -r
complete -c msv -n "__fish_msv_using_subcommand completion" -l kubeconfig -d 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config' -r -F
complete -c msv -n "__fish_msv_using_subcommand completion" -s o -l output -d 'Output format; each command lists the formats it supports' -r -f -a "table\t''
json\t''
yaml\t''
text\t''
raw\t''
tree\t''"
complete -c msv -n "__fish_msv_using_subcommand completion" -l color -d 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c msv -n "__fish_msv_using_subcommand completion" -s q -l quiet -d 'Print only data and errors, no progress or hints'
complete -c msv -n "__fish_msv_using_subcommand completion" -s v -l verbose -d 'Print diagnostics to stderr (repeat for more)'
complete -c msv -n "__fish_msv_using_subcommand completion" -l no-input -d 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
complete -c msv -n "__fish_msv_using_subcommand completion" -s h -l help -d 'Print help'
complete -c msv -n "__fish_msv_using_subcommand completion" -s V -l version -d 'Print version'
complete -c msv -n "__fish_msv_using_subcommand man" -l context -d 'Kubernetes context to use (default: the kubeconfig\'s current-context) [env: MSV_CONTEXT]' -r
complete -c msv -n "__fish_msv_using_subcommand man" -s n -l namespace -d 'Kubernetes namespace (default: msv.toml, then the context\'s namespace, then "default") [env: MSV_NAMESPACE]' -r
complete -c msv -n "__fish_msv_using_subcommand man" -l kubeconfig -d 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config' -r -F
complete -c msv -n "__fish_msv_using_subcommand man" -s o -l output -d 'Output format; each command lists the formats it supports' -r -f -a "table\t''
json\t''
yaml\t''
text\t''
raw\t''
tree\t''"
complete -c msv -n "__fish_msv_using_subcommand man" -l color -d 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c msv -n "__fish_msv_using_subcommand man" -s q -l quiet -d 'Print only data and errors, no progress or hints'
complete -c msv -n "__fish_msv_using_subcommand man" -s v -l verbose -d 'Print diagnostics to stderr (repeat for more)'
complete -c msv -n "__fish_msv_using_subcommand man" -l no-input -d 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
complete -c msv -n "__fish_msv_using_subcommand man" -s h -l help -d 'Print help'
complete -c msv -n "__fish_msv_using_subcommand man" -s V -l version -d 'Print version'
complete -c msv -n "__fish_msv_using_subcommand config; and not __fish_seen_subcommand_from show help" -l context -d 'Kubernetes context to use (default: the kubeconfig\'s current-context) [env: MSV_CONTEXT]' -r
complete -c msv -n "__fish_msv_using_subcommand config; and not __fish_seen_subcommand_from show help" -s n -l namespace -d 'Kubernetes namespace (default: msv.toml, then the context\'s namespace, then "default") [env: MSV_NAMESPACE]' -r
complete -c msv -n "__fish_msv_using_subcommand config; and not __fish_seen_subcommand_from show help" -l kubeconfig -d 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config' -r -F
complete -c msv -n "__fish_msv_using_subcommand config; and not __fish_seen_subcommand_from show help" -s o -l output -d 'Output format; each command lists the formats it supports' -r -f -a "table\t''
json\t''
yaml\t''
text\t''
raw\t''
tree\t''"
complete -c msv -n "__fish_msv_using_subcommand config; and not __fish_seen_subcommand_from show help" -l color -d 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c msv -n "__fish_msv_using_subcommand config; and not __fish_seen_subcommand_from show help" -s q -l quiet -d 'Print only data and errors, no progress or hints'
complete -c msv -n "__fish_msv_using_subcommand config; and not __fish_seen_subcommand_from show help" -s v -l verbose -d 'Print diagnostics to stderr (repeat for more)'
complete -c msv -n "__fish_msv_using_subcommand config; and not __fish_seen_subcommand_from show help" -l no-input -d 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
complete -c msv -n "__fish_msv_using_subcommand config; and not __fish_seen_subcommand_from show help" -s h -l help -d 'Print help'
complete -c msv -n "__fish_msv_using_subcommand config; and not __fish_seen_subcommand_from show help" -s V -l version -d 'Print version'
complete -c msv -n "__fish_msv_using_subcommand config; and not __fish_seen_subcommand_from show help" -f -a "show" -d 'Print the merged configuration and where each value came from'
complete -c msv -n "__fish_msv_using_subcommand config; and not __fish_seen_subcommand_from show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msv -n "__fish_msv_using_subcommand config; and __fish_seen_subcommand_from show" -l context -d 'Kubernetes context to use (default: the kubeconfig\'s current-context) [env: MSV_CONTEXT]' -r
complete -c msv -n "__fish_msv_using_subcommand config; and __fish_seen_subcommand_from show" -s n -l namespace -d 'Kubernetes namespace (default: msv.toml, then the context\'s namespace, then "default") [env: MSV_NAMESPACE]' -r
complete -c msv -n "__fish_msv_using_subcommand config; and __fish_seen_subcommand_from show" -l kubeconfig -d 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config' -r -F
complete -c msv -n "__fish_msv_using_subcommand config; and __fish_seen_subcommand_from show" -s o -l output -d 'Output format; each command lists the formats it supports' -r -f -a "table\t''
json\t''
yaml\t''
text\t''
raw\t''
tree\t''"
complete -c msv -n "__fish_msv_using_subcommand config; and __fish_seen_subcommand_from show" -l color -d 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c msv -n "__fish_msv_using_subcommand config; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only data and errors, no progress or hints'
complete -c msv -n "__fish_msv_using_subcommand config; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Print diagnostics to stderr (repeat for more)'
complete -c msv -n "__fish_msv_using_subcommand config; and __fish_seen_subcommand_from show" -l no-input -d 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
complete -c msv -n "__fish_msv_using_subcommand config; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c msv -n "__fish_msv_using_subcommand config; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c msv -n "__fish_msv_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print the merged configuration and where each value came from'
complete -c msv -n "__fish_msv_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msv -n "__fish_msv_using_subcommand version" -l context -d 'Kubernetes context to use (default: the kubeconfig\'s current-context) [env: MSV_CONTEXT]' -r
complete -c msv -n "__fish_msv_using_subcommand version" -s n -l namespace -d 'Kubernetes namespace (default: msv.toml, then the context\'s namespace, then "default") [env: MSV_NAMESPACE]' -r
complete -c msv -n "__fish_msv_using_subcommand version" -l kubeconfig -d 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config' -r -F
complete -c msv -n "__fish_msv_using_subcommand version" -s o -l output -d 'Output format; each command lists the formats it supports' -r -f -a "table\t''
json\t''
yaml\t''
text\t''
raw\t''
tree\t''"
complete -c msv -n "__fish_msv_using_subcommand version" -l color -d 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c msv -n "__fish_msv_using_subcommand version" -s q -l quiet -d 'Print only data and errors, no progress or hints'
complete -c msv -n "__fish_msv_using_subcommand version" -s v -l verbose -d 'Print diagnostics to stderr (repeat for more)'
complete -c msv -n "__fish_msv_using_subcommand version" -l no-input -d 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
complete -c msv -n "__fish_msv_using_subcommand version" -s h -l help -d 'Print help'
complete -c msv -n "__fish_msv_using_subcommand version" -s V -l version -d 'Print version'
complete -c msv -n "__fish_msv_using_subcommand help; and not __fish_seen_subcommand_from new templates update build push deploy rollback history manifests status logs traces completions man config version help" -f -a "new" -d 'Create a new service from a template'
complete -c msv -n "__fish_msv_using_subcommand help; and not __fish_seen_subcommand_from new templates update build push deploy rollback history manifests status logs traces completions man config version help" -f -a "templates" -d 'List, inspect and validate templates'
complete -c msv -n "__fish_msv_using_subcommand help; and not __fish_seen_subcommand_from new templates update build push deploy rollback history manifests status logs traces completions man config version help" -f -a "update" -d 'Bring a service up to the current version of its template (three-way merge)'
complete -c msv -n "__fish_msv_using_subcommand help; and not __fish_seen_subcommand_from new templates update build push deploy rollback history manifests status logs traces completions man config version help" -f -a "build" -d 'Build the service\'s container image through the Docker Engine API'
complete -c msv -n "__fish_msv_using_subcommand help; and not __fish_seen_subcommand_from new templates update build push deploy rollback history manifests status logs traces completions man config version help" -f -a "push" -d 'Push the last built image to the registry in msv.toml'
complete -c msv -n "__fish_msv_using_subcommand help; and not __fish_seen_subcommand_from new templates update build push deploy rollback history manifests status logs traces completions man config version help" -f -a "deploy" -d 'Roll out a new version with a blue-green switch'
complete -c msv -n "__fish_msv_using_subcommand help; and not __fish_seen_subcommand_from new templates update build push deploy rollback history manifests status logs traces completions man config version help" -f -a "rollback" -d 'Switch traffic back to the previous color'
complete -c msv -n "__fish_msv_using_subcommand help; and not __fish_seen_subcommand_from new templates update build push deploy rollback history manifests status logs traces completions man config version help" -f -a "history" -d 'Show the deploy history of a service'
complete -c msv -n "__fish_msv_using_subcommand help; and not __fish_seen_subcommand_from new templates update build push deploy rollback history manifests status logs traces completions man config version help" -f -a "manifests" -d 'Print the Kubernetes objects a deploy would apply'
complete -c msv -n "__fish_msv_using_subcommand help; and not __fish_seen_subcommand_from new templates update build push deploy rollback history manifests status logs traces completions man config version help" -f -a "status" -d 'Show what is live and whether it is healthy'
complete -c msv -n "__fish_msv_using_subcommand help; and not __fish_seen_subcommand_from new templates update build push deploy rollback history manifests status logs traces completions man config version help" -f -a "logs" -d 'Print the logs of every pod of a service, merged'
complete -c msv -n "__fish_msv_using_subcommand help; and not __fish_seen_subcommand_from new templates update build push deploy rollback history manifests status logs traces completions man config version help" -f -a "traces" -d 'Find and show traces from Jaeger, Zipkin or Tempo'
complete -c msv -n "__fish_msv_using_subcommand help; and not __fish_seen_subcommand_from new templates update build push deploy rollback history manifests status logs traces completions man config version help" -f -a "completions" -d 'Print a shell completion script'
complete -c msv -n "__fish_msv_using_subcommand help; and not __fish_seen_subcommand_from new templates update build push deploy rollback history manifests status logs traces completions man config version help" -f -a "man" -d 'Print the man page (roff)'
complete -c msv -n "__fish_msv_using_subcommand help; and not __fish_seen_subcommand_from new templates update build push deploy rollback history manifests status logs traces completions man config version help" -f -a "config" -d 'Inspect the merged configuration'
complete -c msv -n "__fish_msv_using_subcommand help; and not __fish_seen_subcommand_from new templates update build push deploy rollback history manifests status logs traces completions man config version help" -f -a "version" -d 'Print the version'
complete -c msv -n "__fish_msv_using_subcommand help; and not __fish_seen_subcommand_from new templates update build push deploy rollback history manifests status logs traces completions man config version help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msv -n "__fish_msv_using_subcommand help; and __fish_seen_subcommand_from templates" -f -a "list" -d 'List built-in and user templates and where each comes from'
complete -c msv -n "__fish_msv_using_subcommand help; and __fish_seen_subcommand_from templates" -f -a "show" -d 'Show a template\'s description and variables'
complete -c msv -n "__fish_msv_using_subcommand help; and __fish_seen_subcommand_from templates" -f -a "lint" -d 'Validate a template directory: syntax, variables, paths, template.toml keys'
complete -c msv -n "__fish_msv_using_subcommand help; and __fish_seen_subcommand_from traces" -f -a "list" -d 'List recent traces of a service (the default)'
complete -c msv -n "__fish_msv_using_subcommand help; and __fish_seen_subcommand_from traces" -f -a "show" -d 'Draw one trace as a waterfall'
complete -c msv -n "__fish_msv_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "show" -d 'Print the merged configuration and where each value came from'
