//! clap's usage errors, in French: clap writes its own messages in English only, so the
//! common kinds are said again from the error's context (what was typed, what is
//! expected, clap's suggestion); a kind not known here keeps clap's own words.

use clap::error::{ContextKind, ContextValue, ErrorKind};

fn text(e: &clap::Error, kind: ContextKind) -> Option<String> {
    match e.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(v) => Some(v.join(", ")),
        ContextValue::StyledStr(s) => Some(s.to_string()),
        ContextValue::StyledStrs(v) => Some(
            v.iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ContextValue::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The error said in French (usage line and the hint to `--help` included), or `None`
/// for a kind this does not know (help and version are not errors: `None` too).
pub fn french(e: &clap::Error) -> Option<String> {
    let arg = || text(e, ContextKind::InvalidArg).unwrap_or_default();
    let message = match e.kind() {
        ErrorKind::UnknownArgument => crate::t!("usage-unknown-argument", arg = arg()),
        ErrorKind::InvalidSubcommand => crate::t!(
            "usage-unknown-command",
            arg = text(e, ContextKind::InvalidSubcommand).unwrap_or_default()
        ),
        ErrorKind::InvalidValue => {
            let value = text(e, ContextKind::InvalidValue).unwrap_or_default();
            match text(e, ContextKind::ValidValue) {
                Some(valid) => crate::t!(
                    "usage-invalid-value-among",
                    value = value,
                    arg = arg(),
                    valid = valid
                ),
                None => crate::t!("usage-invalid-value", value = value, arg = arg()),
            }
        }
        ErrorKind::ValueValidation => {
            let said = crate::t!(
                "usage-invalid-value",
                value = text(e, ContextKind::InvalidValue).unwrap_or_default(),
                arg = arg()
            );
            // What the value's parser said: the record's refusal, said in French too.
            match std::error::Error::source(e) {
                Some(why) => format!("{said} : {}", crate::errors::said_cause(why)),
                None => said,
            }
        }
        ErrorKind::MissingRequiredArgument => crate::t!("usage-missing-argument", arg = arg()),
        ErrorKind::ArgumentConflict => crate::t!(
            "usage-conflict",
            arg = arg(),
            other = text(e, ContextKind::PriorArg).unwrap_or_default()
        ),
        ErrorKind::TooManyValues => crate::t!(
            "usage-unexpected-value",
            value = text(e, ContextKind::InvalidValue).unwrap_or_default(),
        ),
        ErrorKind::MissingSubcommand => crate::t!("usage-missing-command"),
        _ => return None,
    };
    let mut out = format!("{} {message}\n", crate::t!("error-label"));
    for kind in [
        ContextKind::SuggestedArg,
        ContextKind::SuggestedSubcommand,
        ContextKind::SuggestedValue,
    ] {
        if let Some(s) = text(e, kind) {
            out.push_str(&format!(
                "\n  {}\n",
                crate::t!("usage-suggested", suggestion = s)
            ));
        }
    }
    if let Some(usage) = text(e, ContextKind::Usage) {
        let usage = usage.replacen("Usage:", &crate::t!("usage-label"), 1);
        out.push_str(&format!("\n{}\n", usage.trim_end()));
    }
    out.push_str(&format!("\n{}\n", crate::t!("usage-more-help")));
    Some(out)
}
