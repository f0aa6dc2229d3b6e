//! The text rules of pool search, shared by both stores so that they find the same SKUs.
//!
//! A title is turned into terms once, when it is written: Chinese is segmented with jieba in
//! search mode (a long word also yields its dictionary sub-words, so `空调` finds
//! `变频空调`), English words are lower-cased and stemmed (so `conditioners` finds
//! `conditioner`). A query goes through the same function and every query term must match.

use std::sync::LazyLock;

/// The most terms a query may have; longer queries are cut, not refused.
pub const QUERY_TERMS_MAX: usize = 12;
/// The longest term kept, in bytes; longer runs are noise (serial numbers, URLs).
const TERM_MAX_BYTES: usize = 48;

static JIEBA: LazyLock<jieba_rs::Jieba> = LazyLock::new(jieba_rs::Jieba::new);
static STEMMER: LazyLock<rust_stemmers::Stemmer> =
    LazyLock::new(|| rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English));

/// The distinct search terms of a text, in first-seen order.
pub fn terms(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut out: Vec<String> = Vec::new();
    for token in JIEBA.cut_for_search(&lower, false) {
        let token = token.trim_matches(|c: char| !c.is_alphanumeric());
        if token.is_empty() || token.len() > TERM_MAX_BYTES {
            continue;
        }
        if !token.chars().all(char::is_alphanumeric) {
            // Keep the alphanumeric runs of mixed tokens such as "usb-c" → "usb", "c".
            for part in token
                .split(|c: char| !c.is_alphanumeric())
                .filter(|p| !p.is_empty())
            {
                push_term(&mut out, part);
            }
            continue;
        }
        push_term(&mut out, token);
    }
    out
}

fn push_term(out: &mut Vec<String>, token: &str) {
    let term = if token.is_ascii() && token.bytes().any(|b| b.is_ascii_alphabetic()) {
        STEMMER.stem(token).into_owned()
    } else {
        token.to_owned()
    };
    if !out.contains(&term) {
        out.push(term);
    }
}

/// The terms of a query, at most [`QUERY_TERMS_MAX`].
///
/// A long query word that its own sub-words cover (`格力空调` → `格力`, `空调`) is dropped,
/// so the query finds titles that spell the parts apart (`格力 变频空调`).
pub fn query_terms(query: &str) -> Vec<String> {
    let all = terms(query);
    let mut kept: Vec<String> = all
        .iter()
        .filter(|term| {
            let covered: usize = all
                .iter()
                .filter(|other| other.len() < term.len() && term.contains(other.as_str()))
                .map(|other| other.len())
                .sum();
            covered < term.len()
        })
        .cloned()
        .collect();
    kept.truncate(QUERY_TERMS_MAX);
    kept
}

/// The terms joined by spaces, as stored for the full-text index.
pub fn index_text(parts: &[&str]) -> String {
    terms(&parts.join(" ")).join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(title: &str, query: &str) -> bool {
        let indexed = terms(title);
        let wanted = query_terms(query);
        !wanted.is_empty() && wanted.iter().all(|t| indexed.contains(t))
    }

    #[test]
    fn chinese_subwords_match() {
        assert!(matches("格力 变频空调 1.5匹 冷暖", "空调"));
        assert!(matches("格力 变频空调 1.5匹 冷暖", "格力空调"));
        assert!(!matches("美的 电饭煲", "空调"));
    }

    #[test]
    fn english_is_stemmed_and_case_folded() {
        assert!(matches(
            "Gree Inverter Air Conditioner 1.5HP",
            "air conditioners"
        ));
        assert!(matches("Anker USB-C Charger 65W", "usb charger"));
        assert!(!matches("Anker USB-C Charger 65W", "air conditioner"));
    }
}
