//! The language of what people read: French or English, from `--lang`, else the locale
//! (`LC_ALL`, else `LC_MESSAGES`, else `LANG`, as POSIX orders them), else English.
//! Messages are Fluent files (`locales/en.ftl`, `locales/fr.ftl`) compiled into the
//! binary. JSON output never goes through here: its keys and values stay the same in
//! every language, for scripts.

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// A language Carnet speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    /// The language a locale name (`fr_FR.UTF-8`, `fr`, `en_GB`, `C`...) asks for, when
    /// Carnet speaks it.
    pub fn from_locale(name: &str) -> Option<Lang> {
        let code = name
            .split(['_', '-', '.', '@'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match code.as_str() {
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// `--lang`, else the locale, else English. An empty variable is skipped; the first
    /// set one decides (a locale Carnet does not speak, such as `C` or `de_DE`, gives
    /// English).
    pub fn choose(flag: Option<&str>) -> Lang {
        if let Some(l) = flag.and_then(Lang::from_locale) {
            return l;
        }
        for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            match std::env::var(var) {
                Ok(v) if !v.is_empty() => return Lang::from_locale(&v).unwrap_or(Lang::En),
                _ => continue,
            }
        }
        Lang::En
    }

    fn source(self) -> &'static str {
        match self {
            Lang::En => EN,
            Lang::Fr => FR,
        }
    }

    fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }
}

/// The English messages (every key is here).
pub const EN: &str = include_str!("../locales/en.ftl");
/// The French messages (the same keys).
pub const FR: &str = include_str!("../locales/fr.ftl");

static LANG: OnceLock<Lang> = OnceLock::new();
static BUNDLES: OnceLock<[FluentBundle<FluentResource>; 2]> = OnceLock::new();

/// Sets the language of this process (once, at start).
pub fn set(lang: Lang) {
    let _ = LANG.set(lang);
}

thread_local! {
    static FORCED: std::cell::Cell<Option<Lang>> = const { std::cell::Cell::new(None) };
}

/// The language of this process (English until [`set`]).
pub fn lang() -> Lang {
    if let Some(l) = FORCED.with(|f| f.get()) {
        return l;
    }
    LANG.get().copied().unwrap_or(Lang::En)
}

/// Runs `f` with the messages of `lang`, whatever the language of the process.
fn in_lang<T>(lang: Lang, f: impl FnOnce() -> T) -> T {
    let before = FORCED.with(|c| c.replace(Some(lang)));
    let out = f();
    FORCED.with(|c| c.set(before));
    out
}

/// Runs `f` with English messages, whatever the language (for text inside JSON, which
/// stays the same in every language).
pub fn in_english<T>(f: impl FnOnce() -> T) -> T {
    in_lang(Lang::En, f)
}

/// Runs `f` with French messages: unit tests share one process, whose language is set
/// once, so each says what it reads in French on its own thread.
#[cfg(test)]
pub fn in_french<T>(f: impl FnOnce() -> T) -> T {
    in_lang(Lang::Fr, f)
}

fn bundle_of(lang: Lang) -> FluentBundle<FluentResource> {
    let res =
        FluentResource::try_new(lang.source().to_string()).unwrap_or_else(|(res, _errors)| res);
    let id: unic_langid::LanguageIdentifier = lang.tag().parse().expect("a valid language tag");
    let mut b = FluentBundle::new_concurrent(vec![id]);
    // No Unicode isolation marks around arguments: they show as garbage in some terminals
    // and break copy and paste of ids and paths.
    b.set_use_isolating(false);
    let _ = b.add_resource(res);
    b
}

fn bundles() -> &'static [FluentBundle<FluentResource>; 2] {
    BUNDLES.get_or_init(|| [bundle_of(Lang::En), bundle_of(Lang::Fr)])
}

/// The message `id` in `lang`, with `args`; the English one when `lang` lacks it, the id
/// itself when English lacks it too (a test checks that never happens).
pub fn message_in(lang: Lang, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
    let all = bundles();
    let order = match lang {
        Lang::En => [&all[0], &all[0]],
        Lang::Fr => [&all[1], &all[0]],
    };
    let mut fargs = FluentArgs::new();
    for (k, v) in args {
        fargs.set(*k, v.clone());
    }
    for b in order {
        if let Some(pattern) = b.get_message(id).and_then(|m| m.value()) {
            let mut errors = Vec::new();
            return b
                .format_pattern(pattern, Some(&fargs), &mut errors)
                .into_owned();
        }
    }
    id.to_string()
}

/// The message `id` in this process's language.
pub fn message(id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
    message_in(lang(), id, args)
}

/// A message kept as its id and arguments, rendered in the language of the moment it is
/// shown, not of the moment it is made: an error the command line builds says itself in
/// English inside `--json` output (see [`in_english`]) and in the person's language
/// elsewhere. Made with [`msg!`](crate::msg); a plain `String` is one already rendered.
#[derive(Clone, Debug)]
pub enum Msg {
    Keyed {
        id: &'static str,
        args: Vec<(&'static str, Arg)>,
    },
    Text(String),
}

/// An argument of a [`Msg`]: text or a number, owned (errors cross threads), or text
/// said when the message is shown, in the language of that moment (a library error's
/// words inside a message of the command line: English again inside `--json`).
#[derive(Clone, Debug)]
pub enum Arg {
    Text(String),
    Number(fluent_bundle::types::FluentNumber),
    Said(Said),
}

/// Text made when it is shown: see [`Arg::Said`].
#[derive(Clone)]
pub struct Said(std::sync::Arc<dyn Fn() -> String + Send + Sync>);

impl Said {
    pub fn new(f: impl Fn() -> String + Send + Sync + 'static) -> Said {
        Said(std::sync::Arc::new(f))
    }
}

impl std::fmt::Debug for Said {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&(self.0)())
    }
}

impl From<FluentValue<'_>> for Arg {
    fn from(v: FluentValue<'_>) -> Arg {
        match v {
            FluentValue::String(s) => Arg::Text(s.into_owned()),
            FluentValue::Number(n) => Arg::Number(n),
            _ => Arg::Text(String::new()),
        }
    }
}

impl From<String> for Msg {
    fn from(text: String) -> Msg {
        Msg::Text(text)
    }
}

impl std::fmt::Display for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Msg::Text(t) => f.write_str(t),
            Msg::Keyed { id, args } => {
                let args: Vec<(&str, FluentValue<'_>)> = args
                    .iter()
                    .map(|(k, v)| {
                        let v = match v {
                            Arg::Text(t) => FluentValue::from(t.as_str()),
                            Arg::Said(said) => FluentValue::from((said.0)()),
                            Arg::Number(n) => FluentValue::Number(n.clone()),
                        };
                        (*k, v)
                    })
                    .collect();
                f.write_str(&message(id, &args))
            }
        }
    }
}

/// A value parser's refusal is a `Msg` too: clap keeps it and prints it once the language
/// is known (in French through `usage_fr`).
impl std::error::Error for Msg {}

/// The ids of the messages in a Fluent source, in order (for the completeness test).
#[cfg(test)]
pub fn ids(source: &str) -> Vec<String> {
    use fluent_bundle::FluentResource;
    let res = FluentResource::try_new(source.to_string())
        .unwrap_or_else(|(_, errors)| panic!("the messages do not parse: {errors:?}"));
    res.entries()
        .filter_map(|e| match e {
            fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
            _ => None,
        })
        .collect()
}

/// A message in the current language: `t!("list-empty")`, `t!("added", id = r.id, n = 3)`.
/// Arguments are anything `FluentValue` is made from: text (`&str`, `String`) or numbers.
#[macro_export]
macro_rules! t {
    ($id:literal) => {
        $crate::i18n::message($id, &[])
    };
    ($id:literal, $($k:ident = $v:expr),+ $(,)?) => {
        $crate::i18n::message(
            $id,
            &[$((stringify!($k), fluent_bundle::FluentValue::from($v))),+],
        )
    };
}

/// A message kept as its id and arguments, rendered when shown ([`Msg`]): for errors, so
/// that `--json` gives them in English. Same forms as [`t!`].
#[macro_export]
macro_rules! msg {
    ($id:literal) => {
        $crate::i18n::Msg::Keyed { id: $id, args: Vec::new() }
    };
    ($id:literal, $($k:ident = $v:expr),+ $(,)?) => {
        $crate::i18n::Msg::Keyed {
            id: $id,
            args: vec![$((
                stringify!($k),
                $crate::i18n::Arg::from(fluent_bundle::FluentValue::from($v)),
            )),+],
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn both_languages_have_every_message() {
        let en: BTreeSet<String> = ids(EN).into_iter().collect();
        let fr: BTreeSet<String> = ids(FR).into_iter().collect();
        assert!(en.len() > 50, "only {} English messages", en.len());
        let missing_fr: Vec<_> = en.difference(&fr).collect();
        let missing_en: Vec<_> = fr.difference(&en).collect();
        assert!(missing_fr.is_empty(), "missing in fr.ftl: {missing_fr:?}");
        assert!(missing_en.is_empty(), "missing in en.ftl: {missing_en:?}");
        assert_eq!(
            ids(EN).len(),
            en.len(),
            "a message id is repeated in en.ftl"
        );
        assert_eq!(
            ids(FR).len(),
            fr.len(),
            "a message id is repeated in fr.ftl"
        );
    }

    /// Every `t!("id"...)` in the sources names a message that exists: a typo would print
    /// the bare id to the person.
    #[test]
    fn every_message_the_code_uses_exists() {
        let en: BTreeSet<String> = ids(EN).into_iter().collect();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut used = 0;
        for f in std::fs::read_dir(&dir).unwrap() {
            let path = f.unwrap().path();
            // This file's own documentation shows the forms with placeholder ids.
            if path.extension().is_none_or(|e| e != "rs") || path.ends_with("i18n.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // `t!("id"...)`, `msg!("id"...)` and `label("id")`, not `format!(` nor `print!(`.
            for pat in ["t!(\"", "msg!(\"", "label(\""] {
                for (i, _) in text.match_indices(pat) {
                    let before = text[..i].chars().next_back().unwrap_or(' ');
                    if before.is_alphanumeric() || before == '_' {
                        continue;
                    }
                    let rest = &text[i + pat.len()..];
                    let id = &rest[..rest.find('"').unwrap()];
                    if id.contains(' ') || id.contains('{') {
                        continue;
                    }
                    used += 1;
                    assert!(
                        en.contains(id),
                        "{} uses message \"{id}\", which en.ftl lacks",
                        path.display()
                    );
                }
            }
        }
        assert!(used > 50, "only {used} messages found in the sources");
    }

    #[test]
    fn every_message_formats_in_both_languages_without_errors() {
        // Placeables whose variables are missing are reported as errors by Fluent; here
        // only syntax and references are checked (messages referring to others).
        for (lang, src) in [(Lang::En, EN), (Lang::Fr, FR)] {
            let all = bundles();
            let b = &all[usize::from(lang == Lang::Fr)];
            for id in ids(src) {
                let m = b.get_message(&id).unwrap();
                let p = m.value().unwrap_or_else(|| panic!("{id} has no value"));
                let mut errors = Vec::new();
                let _ = b.format_pattern(p, None, &mut errors);
                assert!(
                    errors.iter().all(|e| matches!(
                        e,
                        fluent_bundle::FluentError::ResolverError(
                            fluent_bundle::resolver::ResolverError::Reference(
                                fluent_bundle::resolver::errors::ReferenceKind::Variable { .. }
                            )
                        )
                    )),
                    "{lang:?} {id}: {errors:?}"
                );
            }
        }
    }

    #[test]
    fn the_locale_chooses_the_language() {
        assert_eq!(Lang::from_locale("fr_FR.UTF-8"), Some(Lang::Fr));
        assert_eq!(Lang::from_locale("fr"), Some(Lang::Fr));
        assert_eq!(Lang::from_locale("en_GB.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::from_locale("C"), None);
        assert_eq!(Lang::from_locale("de_DE"), None);
        assert_eq!(message_in(Lang::Fr, "list-empty", &[]), "(aucune entrée)");
        assert_eq!(message_in(Lang::En, "list-empty", &[]), "(no entries)");
    }
}
