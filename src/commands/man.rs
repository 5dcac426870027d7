//! `msv man`: the man page in roff, generated from the clap definition. clap_mangen renders
//! the top-level page; a section per subcommand (its usage and flags) is appended here so
//! that `man msv` documents every flag, which clap_mangen does not do for subcommands.

use crate::exit::ExitCode;

use super::Context;

pub fn run(ctx: &Context) -> anyhow::Result<ExitCode> {
    // A roff page is all it prints; `-o json` must not quietly get one.
    ctx.printer.format("man")?;
    ctx.printer.stdout(&page()?)?;
    Ok(ExitCode::Success)
}

pub fn page() -> anyhow::Result<String> {
    let mut command = crate::cli::command();
    command.build();
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut page)?;
    let mut page = String::from_utf8(page)?;
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        subcommand_section(&mut page, &format!("msv {}", sub.get_name()), sub);
        for nested in sub.get_subcommands() {
            subcommand_section(
                &mut page,
                &format!("msv {} {}", sub.get_name(), nested.get_name()),
                nested,
            );
        }
    }
    Ok(page)
}

fn subcommand_section(page: &mut String, name: &str, command: &clap::Command) {
    page.push_str(&format!(".SH \"{}\"\n", roff_escape(&name.to_uppercase())));
    if let Some(about) = command.get_about() {
        page.push_str(&format!("{}\n.PP\n", roff_escape(&about.to_string())));
    }
    let usage = command.clone().bin_name(name).render_usage().to_string();
    page.push_str(&format!(
        ".nf\n{}\n.fi\n",
        roff_escape(usage.trim_start_matches("Usage: "))
    ));
    for arg in command
        .get_arguments()
        .filter(|arg| !arg.is_hide_set() && !arg.is_global_set())
    {
        let id = arg.get_id().as_str();
        if id == "help" || id == "version" {
            continue;
        }
        let mut names: Vec<String> = Vec::new();
        if let Some(short) = arg.get_short() {
            names.push(format!("-{short}"));
        }
        if let Some(long) = arg.get_long() {
            names.push(format!("--{long}"));
        }
        let value = arg.get_value_names().map(|v| {
            v.iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        });
        let mut head = if names.is_empty() {
            format!("<{}>", value.clone().unwrap_or_else(|| id.to_uppercase()))
        } else {
            names.join(", ")
        };
        if !names.is_empty() && arg.get_action().takes_values() {
            head.push_str(&format!(
                " <{}>",
                value.unwrap_or_else(|| id.to_uppercase())
            ));
        }
        page.push_str(&format!(".TP\n\\fB{}\\fR\n", roff_escape(&head)));
        if let Some(help) = arg.get_help() {
            page.push_str(&format!("{}\n", roff_escape(&help.to_string())));
        }
        let possible: Vec<String> = arg
            .get_possible_values()
            .iter()
            .map(|v| v.get_name().to_string())
            .collect();
        if !possible.is_empty() && arg.get_action().takes_values() {
            page.push_str(&format!(
                "[possible values: {}]\n",
                roff_escape(&possible.join(", "))
            ));
        }
    }
}

fn roff_escape(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    // A line starting with '.' or '\'' would be read as a roff request.
    escaped
        .lines()
        .map(|line| {
            if line.starts_with('.') || line.starts_with('\'') {
                format!("\\&{line}")
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
