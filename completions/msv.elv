
use builtin;
use str;

set edit:completion:arg-completer[msv] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'msv'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'msv'= {
            cand --context 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]'
            cand -n 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --namespace 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --kubeconfig 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config'
            cand -o 'Output format; each command lists the formats it supports'
            cand --output 'Output format; each command lists the formats it supports'
            cand --color 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off'
            cand -q 'Print only data and errors, no progress or hints'
            cand --quiet 'Print only data and errors, no progress or hints'
            cand -v 'Print diagnostics to stderr (repeat for more)'
            cand --verbose 'Print diagnostics to stderr (repeat for more)'
            cand --no-input 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand new 'Create a new service from a template'
            cand templates 'List, inspect and validate templates'
            cand update 'Bring a service up to the current version of its template (three-way merge)'
            cand build 'Build the service''s container image through the Docker Engine API'
            cand push 'Push the last built image to the registry in msv.toml'
            cand deploy 'Roll out a new version with a blue-green switch'
            cand rollback 'Switch traffic back to the previous color'
            cand history 'Show the deploy history of a service'
            cand manifests 'Print the Kubernetes objects a deploy would apply'
            cand status 'Show what is live and whether it is healthy'
            cand logs 'Print the logs of every pod of a service, merged'
            cand traces 'Find and show traces from Jaeger, Zipkin or Tempo'
            cand completions 'Print a shell completion script'
            cand completion 'Print a shell completion script'
            cand man 'Print the man page (roff)'
            cand config 'Inspect the merged configuration'
            cand version 'Print the version'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'msv;new'= {
            cand -t 'Template: a built-in name, a user template name, a local directory or a git URL'
            cand --template 'Template: a built-in name, a user template name, a local directory or a git URL'
            cand --set 'Set a template variable (repeatable)'
            cand -d 'Directory to create (default: ./NAME)'
            cand --dir 'Directory to create (default: ./NAME)'
            cand --context 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]'
            cand -n 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --namespace 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --kubeconfig 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config'
            cand -o 'Output format; each command lists the formats it supports'
            cand --output 'Output format; each command lists the formats it supports'
            cand --color 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off'
            cand --force 'Replace an existing non-empty directory'
            cand -q 'Print only data and errors, no progress or hints'
            cand --quiet 'Print only data and errors, no progress or hints'
            cand -v 'Print diagnostics to stderr (repeat for more)'
            cand --verbose 'Print diagnostics to stderr (repeat for more)'
            cand --no-input 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msv;templates'= {
            cand --context 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]'
            cand -n 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --namespace 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --kubeconfig 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config'
            cand -o 'Output format; each command lists the formats it supports'
            cand --output 'Output format; each command lists the formats it supports'
            cand --color 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off'
            cand -q 'Print only data and errors, no progress or hints'
            cand --quiet 'Print only data and errors, no progress or hints'
            cand -v 'Print diagnostics to stderr (repeat for more)'
            cand --verbose 'Print diagnostics to stderr (repeat for more)'
            cand --no-input 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'List built-in and user templates and where each comes from'
            cand show 'Show a template''s description and variables'
            cand lint 'Validate a template directory: syntax, variables, paths, template.toml keys'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'msv;templates;list'= {
            cand --context 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]'
            cand -n 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --namespace 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --kubeconfig 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config'
            cand -o 'Output format; each command lists the formats it supports'
            cand --output 'Output format; each command lists the formats it supports'
            cand --color 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off'
            cand -q 'Print only data and errors, no progress or hints'
            cand --quiet 'Print only data and errors, no progress or hints'
            cand -v 'Print diagnostics to stderr (repeat for more)'
            cand --verbose 'Print diagnostics to stderr (repeat for more)'
            cand --no-input 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msv;templates;show'= {
            cand --context 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]'
            cand -n 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --namespace 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --kubeconfig 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config'
            cand -o 'Output format; each command lists the formats it supports'
            cand --output 'Output format; each command lists the formats it supports'
            cand --color 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off'
            cand -q 'Print only data and errors, no progress or hints'
            cand --quiet 'Print only data and errors, no progress or hints'
            cand -v 'Print diagnostics to stderr (repeat for more)'
            cand --verbose 'Print diagnostics to stderr (repeat for more)'
            cand --no-input 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msv;templates;lint'= {
            cand --context 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]'
            cand -n 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --namespace 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --kubeconfig 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config'
            cand -o 'Output format; each command lists the formats it supports'
            cand --output 'Output format; each command lists the formats it supports'
            cand --color 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off'
            cand -q 'Print only data and errors, no progress or hints'
            cand --quiet 'Print only data and errors, no progress or hints'
            cand -v 'Print diagnostics to stderr (repeat for more)'
            cand --verbose 'Print diagnostics to stderr (repeat for more)'
            cand --no-input 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msv;templates;help'= {
            cand list 'List built-in and user templates and where each comes from'
            cand show 'Show a template''s description and variables'
            cand lint 'Validate a template directory: syntax, variables, paths, template.toml keys'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'msv;templates;help;list'= {
        }
        &'msv;templates;help;show'= {
        }
        &'msv;templates;help;lint'= {
        }
        &'msv;templates;help;help'= {
        }
        &'msv;update'= {
            cand --set 'Set a template variable: a new one, or a new answer to an old one (repeatable)'
            cand --to 'Update a git template''s service to this branch, tag or commit (default: the newest)'
            cand --context 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]'
            cand -n 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --namespace 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --kubeconfig 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config'
            cand -o 'Output format; each command lists the formats it supports'
            cand --output 'Output format; each command lists the formats it supports'
            cand --color 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off'
            cand --dry-run 'Print the unified diff the update would apply and change nothing'
            cand --allow-dirty 'Update even when the git work tree has uncommitted changes'
            cand --continue 'Finish an update that left conflicts, once no conflict marker is left in its files'
            cand --abort 'Undo an update that left conflicts: every file it touched back as it was'
            cand -q 'Print only data and errors, no progress or hints'
            cand --quiet 'Print only data and errors, no progress or hints'
            cand -v 'Print diagnostics to stderr (repeat for more)'
            cand --verbose 'Print diagnostics to stderr (repeat for more)'
            cand --no-input 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msv;build'= {
            cand -t 'Extra tag for the image (repeatable)'
            cand --tag 'Extra tag for the image (repeatable)'
            cand -f 'The Dockerfile, in or outside the service directory (default: Dockerfile in it). PATH.dockerignore next to it, when there is one, replaces the .dockerignore'
            cand --file 'The Dockerfile, in or outside the service directory (default: Dockerfile in it). PATH.dockerignore next to it, when there is one, replaces the .dockerignore'
            cand --build-arg 'Build-time variable (repeatable)'
            cand --target 'Build this stage of a multi-stage Dockerfile'
            cand --platform 'Target platform, e.g. linux/amd64'
            cand --builder 'The engine''s builder: BuildKit where the engine has it, else the classic builder'
            cand --secret 'A secret for `RUN --mount=type=secret,id=ID` (repeatable; BuildKit). Its value is read by the build only: it is not in the image, its history or msv''s output'
            cand --ssh 'An ssh agent for `RUN --mount=type=ssh`: `default` (SSH_AUTH_SOCK) or ID=SOCKET (repeatable; BuildKit)'
            cand --explain 'Show what the build context holds and why, without building: each top-level entry''s size and file count and the largest files; with PATH, the .dockerignore line that excludes or re-includes it (put DIR before --explain)'
            cand -p 'At a workspace''s root: build only this member (repeatable; default: every member)'
            cand --member 'At a workspace''s root: build only this member (repeatable; default: every member)'
            cand --context 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]'
            cand -n 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --namespace 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --kubeconfig 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config'
            cand -o 'Output format; each command lists the formats it supports'
            cand --output 'Output format; each command lists the formats it supports'
            cand --color 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off'
            cand --no-cache 'Do not use the build cache'
            cand --pull 'Always try to pull newer versions of base images'
            cand -q 'Print only data and errors, no progress or hints'
            cand --quiet 'Print only data and errors, no progress or hints'
            cand -v 'Print diagnostics to stderr (repeat for more)'
            cand --verbose 'Print diagnostics to stderr (repeat for more)'
            cand --no-input 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msv;push'= {
            cand -p 'At a workspace''s root: push only this member''s last built image (repeatable; default: every member''s)'
            cand --member 'At a workspace''s root: push only this member''s last built image (repeatable; default: every member''s)'
            cand --context 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]'
            cand -n 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --namespace 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --kubeconfig 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config'
            cand -o 'Output format; each command lists the formats it supports'
            cand --output 'Output format; each command lists the formats it supports'
            cand --color 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off'
            cand -q 'Print only data and errors, no progress or hints'
            cand --quiet 'Print only data and errors, no progress or hints'
            cand -v 'Print diagnostics to stderr (repeat for more)'
            cand --verbose 'Print diagnostics to stderr (repeat for more)'
            cand --no-input 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msv;deploy'= {
            cand --image 'Deploy this image instead of building and pushing first; at a workspace''s root, MEMBER=REF for one member (repeatable)'
            cand -p 'At a workspace''s root: deploy only this member (repeatable; default: every member)'
            cand --member 'At a workspace''s root: deploy only this member (repeatable; default: every member)'
            cand --replicas 'Replicas of the new color (default: the live color''s count, else msv.toml) [deploy.replicas]'
            cand --timeout 'How long the new color may take to become available [msv.toml: deploy.timeout]'
            cand --verify-for 'Keep probing after the switch for this long; switch back on failure [deploy.verify_for]'
            cand --scale-down-delay 'Scale the old color down after this delay [deploy.scale_down_delay]'
            cand --dry-run 'Show what would be done without changing the cluster. `--dry-run` and `--dry-run=client` plan on the client; `--dry-run=server` also sends the objects the deploy would write to the API server with dryRun=All, so its validation and admission (quotas, webhooks, immutable fields) answer, and nothing is stored'
            cand --canary 'Before the switch, soak the candidate on these shares of live traffic, one step after another, judged beside the live color, e.g. 10%,50% ("" for none) [deploy.canary.steps]'
            cand --canary-pause 'How long each canary step lasts [deploy.canary.pause]'
            cand --context 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]'
            cand -n 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --namespace 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --kubeconfig 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config'
            cand -o 'Output format; each command lists the formats it supports'
            cand --output 'Output format; each command lists the formats it supports'
            cand --color 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off'
            cand --keep-old 'Keep the old color running for an instant rollback [deploy.keep_old]'
            cand --keep-failed 'Leave a failed candidate running for inspection instead of scaling it to zero [deploy.keep_failed]'
            cand --create-namespace 'Create the namespace if it does not exist'
            cand --force 'Roll out even when the image is already live (to the other color, as any deploy)'
            cand --adopt 'Take over a service that runs today as a plain Deployment and Service of the service''s name (made with kubectl or Helm): a new color from the same pod template, checked, then the Service''s selector moved to it and the old Deployment scaled to 0 (never deleted)'
            cand -q 'Print only data and errors, no progress or hints'
            cand --quiet 'Print only data and errors, no progress or hints'
            cand -v 'Print diagnostics to stderr (repeat for more)'
            cand --verbose 'Print diagnostics to stderr (repeat for more)'
            cand --no-input 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msv;rollback'= {
            cand --to-revision 'Roll back to this history revision instead of the previous color'
            cand --timeout 'How long the old color may take to become available again [deploy.timeout]'
            cand --release 'Roll a whole workspace release back: each member that went live in it returns to its revision before, switched all-or-nothing (`msv history --release` lists them)'
            cand --context 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]'
            cand -n 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --namespace 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --kubeconfig 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config'
            cand -o 'Output format; each command lists the formats it supports'
            cand --output 'Output format; each command lists the formats it supports'
            cand --color 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off'
            cand --force 'Roll out the revision''s image even when it is already live (to the other color)'
            cand -q 'Print only data and errors, no progress or hints'
            cand --quiet 'Print only data and errors, no progress or hints'
            cand -v 'Print diagnostics to stderr (repeat for more)'
            cand --verbose 'Print diagnostics to stderr (repeat for more)'
            cand --no-input 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msv;history'= {
            cand -p 'A member of the workspace, as the service (at its root, instead of the releases)'
            cand --member 'A member of the workspace, as the service (at its root, instead of the releases)'
            cand --limit 'Show at most this many entries, newest first'
            cand --release 'The workspace''s releases (the default at its root), or with ID what each member recorded in that release'
            cand --context 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]'
            cand -n 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --namespace 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --kubeconfig 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config'
            cand -o 'Output format; each command lists the formats it supports'
            cand --output 'Output format; each command lists the formats it supports'
            cand --color 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off'
            cand -q 'Print only data and errors, no progress or hints'
            cand --quiet 'Print only data and errors, no progress or hints'
            cand -v 'Print diagnostics to stderr (repeat for more)'
            cand --verbose 'Print diagnostics to stderr (repeat for more)'
            cand --no-input 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msv;manifests'= {
            cand --image 'Image to put in the Deployment (default: the last pushed image by digest, else <repository>:latest)'
            cand --target-color 'Color of the Deployment to render (`--color` is the global output color flag)'
            cand --replicas 'Replicas of the Deployment (default: msv.toml) [deploy.replicas]'
            cand --context 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]'
            cand -n 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --namespace 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --kubeconfig 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config'
            cand -o 'Output format; each command lists the formats it supports'
            cand --output 'Output format; each command lists the formats it supports'
            cand --color 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off'
            cand -q 'Print only data and errors, no progress or hints'
            cand --quiet 'Print only data and errors, no progress or hints'
            cand -v 'Print diagnostics to stderr (repeat for more)'
            cand --verbose 'Print diagnostics to stderr (repeat for more)'
            cand --no-input 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msv;status'= {
            cand -p 'A member of the workspace to show, as a service name (repeatable)'
            cand --member 'A member of the workspace to show, as a service name (repeatable)'
            cand --probe-timeout 'Give up on a health probe after this long [deploy.probe_timeout, default 3s]'
            cand --context 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]'
            cand -n 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --namespace 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --kubeconfig 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config'
            cand -o 'Output format; each command lists the formats it supports'
            cand --output 'Output format; each command lists the formats it supports'
            cand --color 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off'
            cand -A 'Look in every namespace'
            cand --all-namespaces 'Look in every namespace'
            cand --pods 'Probe every pod, not only the service'
            cand -w 'Redraw when something changes (terminal only)'
            cand --watch 'Redraw when something changes (terminal only)'
            cand -q 'Print only data and errors, no progress or hints'
            cand --quiet 'Print only data and errors, no progress or hints'
            cand -v 'Print diagnostics to stderr (repeat for more)'
            cand --verbose 'Print diagnostics to stderr (repeat for more)'
            cand --no-input 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msv;logs'= {
            cand --member 'At a workspace''s root: read this member''s pods (repeatable; `-p` is --previous, as in kubectl)'
            cand --which 'Which color''s pods'
            cand --since 'Only lines newer than this, e.g. 10m'
            cand --tail 'Lines to show from the end of each pod''s log'
            cand -c 'Container to read (default: the service''s container)'
            cand --container 'Container to read (default: the service''s container)'
            cand --context 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]'
            cand -n 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --namespace 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --kubeconfig 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config'
            cand -o 'Output format; each command lists the formats it supports'
            cand --output 'Output format; each command lists the formats it supports'
            cand --color 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off'
            cand -f 'Keep streaming, including pods that start later'
            cand --follow 'Keep streaming, including pods that start later'
            cand -p 'The log of each container''s previous run (the one before its last restart), as `kubectl logs --previous`: what a crash-looping container said before it died'
            cand --previous 'The log of each container''s previous run (the one before its last restart), as `kubectl logs --previous`: what a crash-looping container said before it died'
            cand --timestamps 'Start each line with the time the kubelet received it (RFC 3339)'
            cand -q 'Print only data and errors, no progress or hints'
            cand --quiet 'Print only data and errors, no progress or hints'
            cand -v 'Print diagnostics to stderr (repeat for more)'
            cand --verbose 'Print diagnostics to stderr (repeat for more)'
            cand --no-input 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msv;traces'= {
            cand --since 'How far back to look'
            cand --limit 'At most this many traces'
            cand --operation 'Only traces whose root or any span has this operation'
            cand --min-duration 'Only traces at least this long'
            cand --tag 'Only traces with this tag (repeatable)'
            cand --backend 'Trace backend type [traces.backend, MSV_TRACES_BACKEND]'
            cand --url 'Base URL of the backend''s query API [traces.url, MSV_TRACES_URL]'
            cand --backend-service 'Reach the backend inside the cluster through the API server, as NAMESPACE/SERVICE:PORT'
            cand --context 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]'
            cand -n 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --namespace 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --kubeconfig 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config'
            cand -o 'Output format; each command lists the formats it supports'
            cand --output 'Output format; each command lists the formats it supports'
            cand --color 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off'
            cand --errors 'Only traces with an error'
            cand -q 'Print only data and errors, no progress or hints'
            cand --quiet 'Print only data and errors, no progress or hints'
            cand -v 'Print diagnostics to stderr (repeat for more)'
            cand --verbose 'Print diagnostics to stderr (repeat for more)'
            cand --no-input 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'List recent traces of a service (the default)'
            cand show 'Draw one trace as a waterfall'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'msv;traces;list'= {
            cand --since 'How far back to look'
            cand --limit 'At most this many traces'
            cand --operation 'Only traces whose root or any span has this operation'
            cand --min-duration 'Only traces at least this long'
            cand --tag 'Only traces with this tag (repeatable)'
            cand --backend 'Trace backend type [traces.backend, MSV_TRACES_BACKEND]'
            cand --url 'Base URL of the backend''s query API [traces.url, MSV_TRACES_URL]'
            cand --backend-service 'Reach the backend inside the cluster through the API server, as NAMESPACE/SERVICE:PORT'
            cand --context 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]'
            cand -n 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --namespace 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --kubeconfig 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config'
            cand -o 'Output format; each command lists the formats it supports'
            cand --output 'Output format; each command lists the formats it supports'
            cand --color 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off'
            cand --errors 'Only traces with an error'
            cand -q 'Print only data and errors, no progress or hints'
            cand --quiet 'Print only data and errors, no progress or hints'
            cand -v 'Print diagnostics to stderr (repeat for more)'
            cand --verbose 'Print diagnostics to stderr (repeat for more)'
            cand --no-input 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msv;traces;show'= {
            cand --file 'Read a saved trace (Jaeger, Zipkin, OTLP or Tempo JSON, detected from its content)'
            cand --backend 'Trace backend type [traces.backend, MSV_TRACES_BACKEND]'
            cand --url 'Base URL of the backend''s query API [traces.url, MSV_TRACES_URL]'
            cand --backend-service 'Reach the backend inside the cluster through the API server, as NAMESPACE/SERVICE:PORT'
            cand --context 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]'
            cand -n 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --namespace 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --kubeconfig 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config'
            cand -o 'Output format; each command lists the formats it supports'
            cand --output 'Output format; each command lists the formats it supports'
            cand --color 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off'
            cand -q 'Print only data and errors, no progress or hints'
            cand --quiet 'Print only data and errors, no progress or hints'
            cand -v 'Print diagnostics to stderr (repeat for more)'
            cand --verbose 'Print diagnostics to stderr (repeat for more)'
            cand --no-input 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msv;traces;help'= {
            cand list 'List recent traces of a service (the default)'
            cand show 'Draw one trace as a waterfall'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'msv;traces;help;list'= {
        }
        &'msv;traces;help;show'= {
        }
        &'msv;traces;help;help'= {
        }
        &'msv;completions'= {
            cand --context 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]'
            cand -n 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --namespace 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --kubeconfig 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config'
            cand -o 'Output format; each command lists the formats it supports'
            cand --output 'Output format; each command lists the formats it supports'
            cand --color 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off'
            cand -q 'Print only data and errors, no progress or hints'
            cand --quiet 'Print only data and errors, no progress or hints'
            cand -v 'Print diagnostics to stderr (repeat for more)'
            cand --verbose 'Print diagnostics to stderr (repeat for more)'
            cand --no-input 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msv;completion'= {
            cand --context 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]'
            cand -n 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --namespace 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --kubeconfig 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config'
            cand -o 'Output format; each command lists the formats it supports'
            cand --output 'Output format; each command lists the formats it supports'
            cand --color 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off'
            cand -q 'Print only data and errors, no progress or hints'
            cand --quiet 'Print only data and errors, no progress or hints'
            cand -v 'Print diagnostics to stderr (repeat for more)'
            cand --verbose 'Print diagnostics to stderr (repeat for more)'
            cand --no-input 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msv;man'= {
            cand --context 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]'
            cand -n 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --namespace 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --kubeconfig 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config'
            cand -o 'Output format; each command lists the formats it supports'
            cand --output 'Output format; each command lists the formats it supports'
            cand --color 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off'
            cand -q 'Print only data and errors, no progress or hints'
            cand --quiet 'Print only data and errors, no progress or hints'
            cand -v 'Print diagnostics to stderr (repeat for more)'
            cand --verbose 'Print diagnostics to stderr (repeat for more)'
            cand --no-input 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msv;config'= {
            cand --context 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]'
            cand -n 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --namespace 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --kubeconfig 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config'
            cand -o 'Output format; each command lists the formats it supports'
            cand --output 'Output format; each command lists the formats it supports'
            cand --color 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off'
            cand -q 'Print only data and errors, no progress or hints'
            cand --quiet 'Print only data and errors, no progress or hints'
            cand -v 'Print diagnostics to stderr (repeat for more)'
            cand --verbose 'Print diagnostics to stderr (repeat for more)'
            cand --no-input 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand show 'Print the merged configuration and where each value came from'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'msv;config;show'= {
            cand --context 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]'
            cand -n 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --namespace 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --kubeconfig 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config'
            cand -o 'Output format; each command lists the formats it supports'
            cand --output 'Output format; each command lists the formats it supports'
            cand --color 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off'
            cand -q 'Print only data and errors, no progress or hints'
            cand --quiet 'Print only data and errors, no progress or hints'
            cand -v 'Print diagnostics to stderr (repeat for more)'
            cand --verbose 'Print diagnostics to stderr (repeat for more)'
            cand --no-input 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msv;config;help'= {
            cand show 'Print the merged configuration and where each value came from'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'msv;config;help;show'= {
        }
        &'msv;config;help;help'= {
        }
        &'msv;version'= {
            cand --context 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]'
            cand -n 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --namespace 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]'
            cand --kubeconfig 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config'
            cand -o 'Output format; each command lists the formats it supports'
            cand --output 'Output format; each command lists the formats it supports'
            cand --color 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off'
            cand -q 'Print only data and errors, no progress or hints'
            cand --quiet 'Print only data and errors, no progress or hints'
            cand -v 'Print diagnostics to stderr (repeat for more)'
            cand --verbose 'Print diagnostics to stderr (repeat for more)'
            cand --no-input 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'msv;help'= {
            cand new 'Create a new service from a template'
            cand templates 'List, inspect and validate templates'
            cand update 'Bring a service up to the current version of its template (three-way merge)'
            cand build 'Build the service''s container image through the Docker Engine API'
            cand push 'Push the last built image to the registry in msv.toml'
            cand deploy 'Roll out a new version with a blue-green switch'
            cand rollback 'Switch traffic back to the previous color'
            cand history 'Show the deploy history of a service'
            cand manifests 'Print the Kubernetes objects a deploy would apply'
            cand status 'Show what is live and whether it is healthy'
            cand logs 'Print the logs of every pod of a service, merged'
            cand traces 'Find and show traces from Jaeger, Zipkin or Tempo'
            cand completions 'Print a shell completion script'
            cand man 'Print the man page (roff)'
            cand config 'Inspect the merged configuration'
            cand version 'Print the version'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'msv;help;new'= {
        }
        &'msv;help;templates'= {
            cand list 'List built-in and user templates and where each comes from'
            cand show 'Show a template''s description and variables'
            cand lint 'Validate a template directory: syntax, variables, paths, template.toml keys'
        }
        &'msv;help;templates;list'= {
        }
        &'msv;help;templates;show'= {
        }
        &'msv;help;templates;lint'= {
        }
        &'msv;help;update'= {
        }
        &'msv;help;build'= {
        }
        &'msv;help;push'= {
        }
        &'msv;help;deploy'= {
        }
        &'msv;help;rollback'= {
        }
        &'msv;help;history'= {
        }
        &'msv;help;manifests'= {
        }
        &'msv;help;status'= {
        }
        &'msv;help;logs'= {
        }
        &'msv;help;traces'= {
            cand list 'List recent traces of a service (the default)'
            cand show 'Draw one trace as a waterfall'
        }
        &'msv;help;traces;list'= {
        }
        &'msv;help;traces;show'= {
        }
        &'msv;help;completions'= {
        }
        &'msv;help;man'= {
        }
        &'msv;help;config'= {
            cand show 'Print the merged configuration and where each value came from'
        }
        &'msv;help;config;show'= {
        }
        &'msv;help;version'= {
        }
        &'msv;help;help'= {
        }
    ]
    $completions[$command]
}
