//! Room moderation rules: what a comment may be, and the banned-words list applied to it.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use thiserror::Error;

/// Longest comment, in characters: a live-room comment is a line, not a post.
pub const COMMENT_MAX_CHARS: usize = 200;

/// A comment that may be shown in a room: trimmed, 1..=200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentText(String);

/// Why a comment was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CommentError {
    /// Nothing left after trimming.
    #[error("comment is empty")]
    Empty,
    /// Longer than [`COMMENT_MAX_CHARS`].
    #[error("comment is longer than {COMMENT_MAX_CHARS} characters")]
    TooLong,
    /// Contains a control character (other than none: comments are one line).
    #[error("comment contains a control character")]
    ControlCharacter,
    /// Contains a word on the banned list.
    #[error("comment contains a banned word")]
    BannedWord,
}

impl CommentError {
    /// Stable code for clients.
    pub fn code(&self) -> &'static str {
        match self {
            CommentError::Empty => "comment_empty",
            CommentError::TooLong => "comment_too_long",
            CommentError::ControlCharacter => "comment_control_character",
            CommentError::BannedWord => "comment_banned_word",
        }
    }
}

impl CommentText {
    /// Checks a raw comment against the shape rules and `banned`.
    pub fn parse(raw: &str, banned: &BannedWords) -> Result<CommentText, CommentError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(CommentError::Empty);
        }
        if text.chars().count() > COMMENT_MAX_CHARS {
            return Err(CommentError::TooLong);
        }
        if text.chars().any(char::is_control) {
            return Err(CommentError::ControlCharacter);
        }
        if banned.matches(text) {
            return Err(CommentError::BannedWord);
        }
        Ok(CommentText(text.to_owned()))
    }

    /// The checked text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The checked text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// A banned-words list, matched case-insensitively anywhere in a comment.
#[derive(Debug, Clone)]
pub struct BannedWords {
    matcher: Option<AhoCorasick>,
    count: usize,
}

/// The default list: the ways live-room spam draws viewers off the platform or into fraud,
/// which every live-commerce platform's rules forbid. Operators extend it with a file.
pub const DEFAULT_BANNED_WORDS: &[&str] = &[
    "加微信",
    "加v",
    "私聊下单",
    "私下交易",
    "线下交易",
    "刷单",
    "代开发票",
    "兼职日结",
    "点击链接领取",
];

impl BannedWords {
    /// A list of the given words; blank entries are ignored.
    pub fn new<I, S>(words: I) -> BannedWords
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let words: Vec<String> = words
            .into_iter()
            .map(|word| word.as_ref().trim().to_lowercase())
            .filter(|word| !word.is_empty())
            .collect();
        let matcher = if words.is_empty() {
            None
        } else {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostFirst)
                .build(&words)
                .ok()
        };
        BannedWords {
            count: words.len(),
            matcher,
        }
    }

    /// The default list.
    pub fn default_list() -> BannedWords {
        BannedWords::new(DEFAULT_BANNED_WORDS)
    }

    /// The default list plus one word per line of `text` (`#` starts a comment line).
    pub fn default_with(text: &str) -> BannedWords {
        let extra = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'));
        BannedWords::new(DEFAULT_BANNED_WORDS.iter().copied().chain(extra))
    }

    /// Number of words on the list.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Whether `text` contains a banned word.
    pub fn matches(&self, text: &str) -> bool {
        match &self.matcher {
            Some(matcher) => matcher.is_match(&text.to_lowercase()),
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_trimmed_and_bounded() {
        let banned = BannedWords::default_list();
        assert_eq!(
            CommentText::parse("  好看！ ", &banned).map(CommentText::into_string),
            Ok("好看！".to_owned())
        );
        assert_eq!(
            CommentText::parse(" \t ", &banned),
            Err(CommentError::Empty)
        );
        let long: String = "好".repeat(COMMENT_MAX_CHARS + 1);
        assert_eq!(
            CommentText::parse(&long, &banned),
            Err(CommentError::TooLong)
        );
        let exact: String = "好".repeat(COMMENT_MAX_CHARS);
        assert!(CommentText::parse(&exact, &banned).is_ok());
        assert_eq!(
            CommentText::parse("a\u{0007}b", &banned),
            Err(CommentError::ControlCharacter)
        );
    }

    #[test]
    fn banned_words_match_anywhere_ignoring_ascii_case() {
        let banned = BannedWords::default_with("# extra\nSpamWord\n\n");
        assert_eq!(banned.len(), DEFAULT_BANNED_WORDS.len() + 1);
        assert_eq!(
            CommentText::parse("想要的加微信聊", &banned),
            Err(CommentError::BannedWord)
        );
        assert_eq!(
            CommentText::parse("buy SPAMWORD now", &banned),
            Err(CommentError::BannedWord)
        );
        assert_eq!(
            CommentText::parse("加V123", &banned),
            Err(CommentError::BannedWord)
        );
        assert!(CommentText::parse("这个颜色好看", &banned).is_ok());
        assert!(BannedWords::new(Vec::<String>::new()).is_empty());
    }
}
