//! Terminal prompts (dialoguer) for template variables and the template choice. Only used
//! when stdin and stderr are terminals and neither --yes nor --no-input was given.

use dialoguer::{Confirm, Input, Select};
use serde_json::Value;

use super::manifest::{VarType, Variable};
use super::vars::{Prompter, check_value};

/// dialoguer's error without its wrapper, so that a read Ctrl-C broke off (EINTR) is seen
/// as the interrupt it is (exit 130).
fn io(e: dialoguer::Error) -> anyhow::Error {
    match e {
        dialoguer::Error::IO(io) => io.into(),
    }
}

/// Asks on the terminal (prompts go to stderr).
pub struct Terminal;

fn with_help(var: &Variable) -> String {
    match &var.help {
        Some(h) => format!("{} ({h})", var.prompt_text()),
        None => var.prompt_text().to_string(),
    }
}

impl Prompter for Terminal {
    fn ask(&mut self, var: &Variable, default: Option<&Value>) -> anyhow::Result<Value> {
        let prompt = with_help(var);
        Ok(match var.kind {
            VarType::Bool => {
                let mut c = Confirm::new().with_prompt(prompt);
                if let Some(Value::Bool(b)) = default {
                    c = c.default(*b);
                }
                Value::Bool(c.interact().map_err(io)?)
            }
            VarType::Choice => {
                let choices = var.choices.clone().unwrap_or_default();
                let start = default
                    .and_then(Value::as_str)
                    .and_then(|d| choices.iter().position(|c| c == d))
                    .unwrap_or(0);
                let i = Select::new()
                    .with_prompt(prompt)
                    .items(&choices)
                    .default(start)
                    .interact()
                    .map_err(io)?;
                Value::String(choices[i].clone())
            }
            VarType::String => {
                let checked = var.clone();
                let mut input = Input::<String>::new()
                    .with_prompt(prompt)
                    .validate_with(move |s: &String| check_value(&checked, s));
                if let Some(Value::String(d)) = default {
                    input = input.default(d.clone());
                }
                Value::String(input.interact_text().map_err(io)?)
            }
        })
    }
}

/// Lets the user pick a template from `(name, description)` pairs.
pub fn choose_template(options: &[(String, String)]) -> anyhow::Result<String> {
    let items: Vec<String> = options
        .iter()
        .map(|(n, d)| format!("{n:<16} {d}"))
        .collect();
    let i = Select::new()
        .with_prompt("Template")
        .items(&items)
        .default(0)
        .interact()
        .map_err(io)?;
    Ok(options[i].0.clone())
}
