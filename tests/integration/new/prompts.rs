//! `msv new` on a real terminal: the template is chosen from a list and each variable is
//! asked for, with the template's validation applied as the user types.

use std::fs;
use std::time::Duration;

use crate::pty::Pty;
use crate::support::Test;

const DOWN: &[u8] = b"\x1b[B";

#[test]
fn new_on_a_terminal_asks_for_the_template_and_its_variables() {
    let tmp = tempfile::tempdir().unwrap();
    let mut term = Pty::spawn(
        Test::new()
            .args(&["new", "billing", "--color", "never"])
            .current_dir(tmp.path())
            .command(),
    );
    let wait = Duration::from_secs(30);
    term.wait_until("the template list", wait, |o| o.contains("Template"));
    assert!(term.output().contains("rust-axum"), "{}", term.output());
    // The built-ins are listed by name: go-http, node-express, python-fastapi, rust-axum.
    for _ in 0..3 {
        term.type_in(DOWN);
    }
    term.type_in(b"\r");
    term.wait_until("the description prompt", wait, |o| {
        o.contains("One-line description")
    });
    // A double quote breaks the template's regex: the prompt says so and asks again.
    term.type_in(b"say \"hi\"\r");
    term.wait_until("the validation error", wait, |o| {
        o.contains("does not match the pattern")
    });
    term.type_in(b"\x15Invoices and payments\r");
    term.wait_until("the CI question", wait, |o| o.contains("GitHub Actions"));
    term.type_in(b"n");
    term.wait_until("the result", wait, |o| o.contains("created billing"));
    let status = term.wait(wait);
    assert!(status.success(), "{status:?}\n{}", term.output());

    let dir = tmp.path().join("billing");
    let cargo = fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    assert!(
        cargo.contains("Invoices and payments"),
        "the typed description is in Cargo.toml:\n{cargo}"
    );
    assert!(
        !dir.join(".github").exists(),
        "no CI workflow after answering no"
    );
}
