
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'msv' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'msv'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'msv' {
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('new', 'new', [CompletionResultType]::ParameterValue, 'Create a new service from a template')
            [CompletionResult]::new('templates', 'templates', [CompletionResultType]::ParameterValue, 'List, inspect and validate templates')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Bring a service up to the current version of its template (three-way merge)')
            [CompletionResult]::new('build', 'build', [CompletionResultType]::ParameterValue, 'Build the service''s container image through the Docker Engine API')
            [CompletionResult]::new('push', 'push', [CompletionResultType]::ParameterValue, 'Push the last built image to the registry in msv.toml')
            [CompletionResult]::new('deploy', 'deploy', [CompletionResultType]::ParameterValue, 'Roll out a new version with a blue-green switch')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Switch traffic back to the previous color')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'Show the deploy history of a service')
            [CompletionResult]::new('manifests', 'manifests', [CompletionResultType]::ParameterValue, 'Print the Kubernetes objects a deploy would apply')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show what is live and whether it is healthy')
            [CompletionResult]::new('logs', 'logs', [CompletionResultType]::ParameterValue, 'Print the logs of every pod of a service, merged')
            [CompletionResult]::new('traces', 'traces', [CompletionResultType]::ParameterValue, 'Find and show traces from Jaeger, Zipkin or Tempo')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff)')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Inspect the merged configuration')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print the version')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'msv;new' {
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Template: a built-in name, a user template name, a local directory or a git URL')
            [CompletionResult]::new('--template', '--template', [CompletionResultType]::ParameterName, 'Template: a built-in name, a user template name, a local directory or a git URL')
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Set a template variable (repeatable)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Directory to create (default: ./NAME)')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Directory to create (default: ./NAME)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace an existing non-empty directory')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msv;templates' {
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List built-in and user templates and where each comes from')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a template''s description and variables')
            [CompletionResult]::new('lint', 'lint', [CompletionResultType]::ParameterValue, 'Validate a template directory: syntax, variables, paths, template.toml keys')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'msv;templates;list' {
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msv;templates;show' {
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msv;templates;lint' {
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msv;templates;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List built-in and user templates and where each comes from')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a template''s description and variables')
            [CompletionResult]::new('lint', 'lint', [CompletionResultType]::ParameterValue, 'Validate a template directory: syntax, variables, paths, template.toml keys')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'msv;templates;help;list' {
            break
        }
        'msv;templates;help;show' {
            break
        }
        'msv;templates;help;lint' {
            break
        }
        'msv;templates;help;help' {
            break
        }
        'msv;update' {
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Set a template variable: a new one, or a new answer to an old one (repeatable)')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Update a git template''s service to this branch, tag or commit (default: the newest)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the unified diff the update would apply and change nothing')
            [CompletionResult]::new('--allow-dirty', '--allow-dirty', [CompletionResultType]::ParameterName, 'Update even when the git work tree has uncommitted changes')
            [CompletionResult]::new('--continue', '--continue', [CompletionResultType]::ParameterName, 'Finish an update that left conflicts, once no conflict marker is left in its files')
            [CompletionResult]::new('--abort', '--abort', [CompletionResultType]::ParameterName, 'Undo an update that left conflicts: every file it touched back as it was')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msv;build' {
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Extra tag for the image (repeatable)')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'Extra tag for the image (repeatable)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'The Dockerfile, in or outside the service directory (default: Dockerfile in it). PATH.dockerignore next to it, when there is one, replaces the .dockerignore')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The Dockerfile, in or outside the service directory (default: Dockerfile in it). PATH.dockerignore next to it, when there is one, replaces the .dockerignore')
            [CompletionResult]::new('--build-arg', '--build-arg', [CompletionResultType]::ParameterName, 'Build-time variable (repeatable)')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Build this stage of a multi-stage Dockerfile')
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'Target platform, e.g. linux/amd64')
            [CompletionResult]::new('--builder', '--builder', [CompletionResultType]::ParameterName, 'The engine''s builder: BuildKit where the engine has it, else the classic builder')
            [CompletionResult]::new('--secret', '--secret', [CompletionResultType]::ParameterName, 'A secret for `RUN --mount=type=secret,id=ID` (repeatable; BuildKit). Its value is read by the build only: it is not in the image, its history or msv''s output')
            [CompletionResult]::new('--ssh', '--ssh', [CompletionResultType]::ParameterName, 'An ssh agent for `RUN --mount=type=ssh`: `default` (SSH_AUTH_SOCK) or ID=SOCKET (repeatable; BuildKit)')
            [CompletionResult]::new('--explain', '--explain', [CompletionResultType]::ParameterName, 'Show what the build context holds and why, without building: each top-level entry''s size and file count and the largest files; with PATH, the .dockerignore line that excludes or re-includes it (put DIR before --explain)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'At a workspace''s root: build only this member (repeatable; default: every member)')
            [CompletionResult]::new('--member', '--member', [CompletionResultType]::ParameterName, 'At a workspace''s root: build only this member (repeatable; default: every member)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off')
            [CompletionResult]::new('--no-cache', '--no-cache', [CompletionResultType]::ParameterName, 'Do not use the build cache')
            [CompletionResult]::new('--pull', '--pull', [CompletionResultType]::ParameterName, 'Always try to pull newer versions of base images')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msv;push' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'At a workspace''s root: push only this member''s last built image (repeatable; default: every member''s)')
            [CompletionResult]::new('--member', '--member', [CompletionResultType]::ParameterName, 'At a workspace''s root: push only this member''s last built image (repeatable; default: every member''s)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msv;deploy' {
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'Deploy this image instead of building and pushing first; at a workspace''s root, MEMBER=REF for one member (repeatable)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'At a workspace''s root: deploy only this member (repeatable; default: every member)')
            [CompletionResult]::new('--member', '--member', [CompletionResultType]::ParameterName, 'At a workspace''s root: deploy only this member (repeatable; default: every member)')
            [CompletionResult]::new('--replicas', '--replicas', [CompletionResultType]::ParameterName, 'Replicas of the new color (default: the live color''s count, else msv.toml) [deploy.replicas]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long the new color may take to become available [msv.toml: deploy.timeout]')
            [CompletionResult]::new('--verify-for', '--verify-for', [CompletionResultType]::ParameterName, 'Keep probing after the switch for this long; switch back on failure [deploy.verify_for]')
            [CompletionResult]::new('--scale-down-delay', '--scale-down-delay', [CompletionResultType]::ParameterName, 'Scale the old color down after this delay [deploy.scale_down_delay]')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be done without changing the cluster. `--dry-run` and `--dry-run=client` plan on the client; `--dry-run=server` also sends the objects the deploy would write to the API server with dryRun=All, so its validation and admission (quotas, webhooks, immutable fields) answer, and nothing is stored')
            [CompletionResult]::new('--canary', '--canary', [CompletionResultType]::ParameterName, 'Before the switch, soak the candidate on these shares of live traffic, one step after another, judged beside the live color, e.g. 10%,50% ("" for none) [deploy.canary.steps]')
            [CompletionResult]::new('--canary-pause', '--canary-pause', [CompletionResultType]::ParameterName, 'How long each canary step lasts [deploy.canary.pause]')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off')
            [CompletionResult]::new('--keep-old', '--keep-old', [CompletionResultType]::ParameterName, 'Keep the old color running for an instant rollback [deploy.keep_old]')
            [CompletionResult]::new('--keep-failed', '--keep-failed', [CompletionResultType]::ParameterName, 'Leave a failed candidate running for inspection instead of scaling it to zero [deploy.keep_failed]')
            [CompletionResult]::new('--create-namespace', '--create-namespace', [CompletionResultType]::ParameterName, 'Create the namespace if it does not exist')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Roll out even when the image is already live (to the other color, as any deploy)')
            [CompletionResult]::new('--adopt', '--adopt', [CompletionResultType]::ParameterName, 'Take over a service that runs today as a plain Deployment and Service of the service''s name (made with kubectl or Helm): a new color from the same pod template, checked, then the Service''s selector moved to it and the old Deployment scaled to 0 (never deleted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msv;rollback' {
            [CompletionResult]::new('--to-revision', '--to-revision', [CompletionResultType]::ParameterName, 'Roll back to this history revision instead of the previous color')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long the old color may take to become available again [deploy.timeout]')
            [CompletionResult]::new('--release', '--release', [CompletionResultType]::ParameterName, 'Roll a whole workspace release back: each member that went live in it returns to its revision before, switched all-or-nothing (`msv history --release` lists them)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Roll out the revision''s image even when it is already live (to the other color)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msv;history' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'A member of the workspace, as the service (at its root, instead of the releases)')
            [CompletionResult]::new('--member', '--member', [CompletionResultType]::ParameterName, 'A member of the workspace, as the service (at its root, instead of the releases)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most this many entries, newest first')
            [CompletionResult]::new('--release', '--release', [CompletionResultType]::ParameterName, 'The workspace''s releases (the default at its root), or with ID what each member recorded in that release')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msv;manifests' {
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'Image to put in the Deployment (default: the last pushed image by digest, else <repository>:latest)')
            [CompletionResult]::new('--target-color', '--target-color', [CompletionResultType]::ParameterName, 'Color of the Deployment to render (`--color` is the global output color flag)')
            [CompletionResult]::new('--replicas', '--replicas', [CompletionResultType]::ParameterName, 'Replicas of the Deployment (default: msv.toml) [deploy.replicas]')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msv;status' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'A member of the workspace to show, as a service name (repeatable)')
            [CompletionResult]::new('--member', '--member', [CompletionResultType]::ParameterName, 'A member of the workspace to show, as a service name (repeatable)')
            [CompletionResult]::new('--probe-timeout', '--probe-timeout', [CompletionResultType]::ParameterName, 'Give up on a health probe after this long [deploy.probe_timeout, default 3s]')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Look in every namespace')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Look in every namespace')
            [CompletionResult]::new('--pods', '--pods', [CompletionResultType]::ParameterName, 'Probe every pod, not only the service')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Redraw when something changes (terminal only)')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'Redraw when something changes (terminal only)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msv;logs' {
            [CompletionResult]::new('--member', '--member', [CompletionResultType]::ParameterName, 'At a workspace''s root: read this member''s pods (repeatable; `-p` is --previous, as in kubectl)')
            [CompletionResult]::new('--which', '--which', [CompletionResultType]::ParameterName, 'Which color''s pods')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only lines newer than this, e.g. 10m')
            [CompletionResult]::new('--tail', '--tail', [CompletionResultType]::ParameterName, 'Lines to show from the end of each pod''s log')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Container to read (default: the service''s container)')
            [CompletionResult]::new('--container', '--container', [CompletionResultType]::ParameterName, 'Container to read (default: the service''s container)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Keep streaming, including pods that start later')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Keep streaming, including pods that start later')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'The log of each container''s previous run (the one before its last restart), as `kubectl logs --previous`: what a crash-looping container said before it died')
            [CompletionResult]::new('--previous', '--previous', [CompletionResultType]::ParameterName, 'The log of each container''s previous run (the one before its last restart), as `kubectl logs --previous`: what a crash-looping container said before it died')
            [CompletionResult]::new('--timestamps', '--timestamps', [CompletionResultType]::ParameterName, 'Start each line with the time the kubelet received it (RFC 3339)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msv;traces' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'How far back to look')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'At most this many traces')
            [CompletionResult]::new('--operation', '--operation', [CompletionResultType]::ParameterName, 'Only traces whose root or any span has this operation')
            [CompletionResult]::new('--min-duration', '--min-duration', [CompletionResultType]::ParameterName, 'Only traces at least this long')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'Only traces with this tag (repeatable)')
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'Trace backend type [traces.backend, MSV_TRACES_BACKEND]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Base URL of the backend''s query API [traces.url, MSV_TRACES_URL]')
            [CompletionResult]::new('--backend-service', '--backend-service', [CompletionResultType]::ParameterName, 'Reach the backend inside the cluster through the API server, as NAMESPACE/SERVICE:PORT')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off')
            [CompletionResult]::new('--errors', '--errors', [CompletionResultType]::ParameterName, 'Only traces with an error')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List recent traces of a service (the default)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Draw one trace as a waterfall')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'msv;traces;list' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'How far back to look')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'At most this many traces')
            [CompletionResult]::new('--operation', '--operation', [CompletionResultType]::ParameterName, 'Only traces whose root or any span has this operation')
            [CompletionResult]::new('--min-duration', '--min-duration', [CompletionResultType]::ParameterName, 'Only traces at least this long')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'Only traces with this tag (repeatable)')
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'Trace backend type [traces.backend, MSV_TRACES_BACKEND]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Base URL of the backend''s query API [traces.url, MSV_TRACES_URL]')
            [CompletionResult]::new('--backend-service', '--backend-service', [CompletionResultType]::ParameterName, 'Reach the backend inside the cluster through the API server, as NAMESPACE/SERVICE:PORT')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off')
            [CompletionResult]::new('--errors', '--errors', [CompletionResultType]::ParameterName, 'Only traces with an error')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msv;traces;show' {
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Read a saved trace (Jaeger, Zipkin, OTLP or Tempo JSON, detected from its content)')
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'Trace backend type [traces.backend, MSV_TRACES_BACKEND]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Base URL of the backend''s query API [traces.url, MSV_TRACES_URL]')
            [CompletionResult]::new('--backend-service', '--backend-service', [CompletionResultType]::ParameterName, 'Reach the backend inside the cluster through the API server, as NAMESPACE/SERVICE:PORT')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msv;traces;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List recent traces of a service (the default)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Draw one trace as a waterfall')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'msv;traces;help;list' {
            break
        }
        'msv;traces;help;show' {
            break
        }
        'msv;traces;help;help' {
            break
        }
        'msv;completions' {
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msv;completion' {
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msv;man' {
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msv;config' {
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the merged configuration and where each value came from')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'msv;config;show' {
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msv;config;help' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the merged configuration and where each value came from')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'msv;config;help;show' {
            break
        }
        'msv;config;help;help' {
            break
        }
        'msv;version' {
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Kubernetes context to use (default: the kubeconfig''s current-context) [env: MSV_CONTEXT]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Kubernetes namespace (default: msv.toml, then the context''s namespace, then "default") [env: MSV_NAMESPACE]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; each command lists the formats it supports')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors: auto uses them on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces them, CLICOLOR=0 turns them off')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only data and errors, no progress or hints')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print diagnostics to stderr (repeat for more)')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt: a missing answer is an error (the default when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'msv;help' {
            [CompletionResult]::new('new', 'new', [CompletionResultType]::ParameterValue, 'Create a new service from a template')
            [CompletionResult]::new('templates', 'templates', [CompletionResultType]::ParameterValue, 'List, inspect and validate templates')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Bring a service up to the current version of its template (three-way merge)')
            [CompletionResult]::new('build', 'build', [CompletionResultType]::ParameterValue, 'Build the service''s container image through the Docker Engine API')
            [CompletionResult]::new('push', 'push', [CompletionResultType]::ParameterValue, 'Push the last built image to the registry in msv.toml')
            [CompletionResult]::new('deploy', 'deploy', [CompletionResultType]::ParameterValue, 'Roll out a new version with a blue-green switch')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Switch traffic back to the previous color')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'Show the deploy history of a service')
            [CompletionResult]::new('manifests', 'manifests', [CompletionResultType]::ParameterValue, 'Print the Kubernetes objects a deploy would apply')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show what is live and whether it is healthy')
            [CompletionResult]::new('logs', 'logs', [CompletionResultType]::ParameterValue, 'Print the logs of every pod of a service, merged')
            [CompletionResult]::new('traces', 'traces', [CompletionResultType]::ParameterValue, 'Find and show traces from Jaeger, Zipkin or Tempo')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff)')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Inspect the merged configuration')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print the version')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'msv;help;new' {
            break
        }
        'msv;help;templates' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List built-in and user templates and where each comes from')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a template''s description and variables')
            [CompletionResult]::new('lint', 'lint', [CompletionResultType]::ParameterValue, 'Validate a template directory: syntax, variables, paths, template.toml keys')
            break
        }
        'msv;help;templates;list' {
            break
        }
        'msv;help;templates;show' {
            break
        }
        'msv;help;templates;lint' {
            break
        }
        'msv;help;update' {
            break
        }
        'msv;help;build' {
            break
        }
        'msv;help;push' {
            break
        }
        'msv;help;deploy' {
            break
        }
        'msv;help;rollback' {
            break
        }
        'msv;help;history' {
            break
        }
        'msv;help;manifests' {
            break
        }
        'msv;help;status' {
            break
        }
        'msv;help;logs' {
            break
        }
        'msv;help;traces' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List recent traces of a service (the default)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Draw one trace as a waterfall')
            break
        }
        'msv;help;traces;list' {
            break
        }
        'msv;help;traces;show' {
            break
        }
        'msv;help;completions' {
            break
        }
        'msv;help;man' {
            break
        }
        'msv;help;config' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the merged configuration and where each value came from')
            break
        }
        'msv;help;config;show' {
            break
        }
        'msv;help;version' {
            break
        }
        'msv;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
