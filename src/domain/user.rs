//! Who a user is: the username rules and the roles. Built only by parsing, so an invalid
//! name cannot reach the database.

use std::fmt;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::{Violation, names};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub const MIN_CHARS: usize = 2;
    pub const MAX_CHARS: usize = 32;

    /// NFKC first, so that full-width 张伟 and ｚｈａｎｇ are measured and stored the way
    /// they look; then length and character rules.
    pub fn parse(raw: &str) -> Result<Self, Violation> {
        let name: String = raw.trim().nfkc().collect();
        let chars = name.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(Violation::with_limit(
                "username",
                "username_too_short",
                Self::MIN_CHARS,
            ));
        }
        if chars > Self::MAX_CHARS {
            return Err(Violation::with_limit(
                "username",
                "username_too_long",
                Self::MAX_CHARS,
            ));
        }
        let starts_well = name.chars().next().is_some_and(|c| {
            c.is_alphanumeric() || (!c.is_ascii() && !is_combining_mark(c) && allowed(c))
        });
        if !starts_well || !name.chars().all(allowed) {
            return Err(Violation::new("username", "username_invalid_characters"));
        }
        Ok(Username(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form two names are compared in: two accounts whose keys are equal cannot both
    /// exist, and logging in looks the account up by it.
    pub fn key(&self) -> String {
        lookup_key(&self.0)
    }
}

/// Letters, digits and marks of any script, `_ - .`, and symbols outside ASCII (`🐳`):
/// names are shown in pages and URLs, so no ASCII punctuation, no spaces, and nothing
/// invisible or direction-changing (ZWJ inside an emoji sequence is fine).
fn allowed(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    }
    !c.is_whitespace() && !names::is_hidden_character(c)
}

/// The comparison key of any typed name, valid or not (a login form may hold anything):
/// the look-alike skeleton, so `Alice`, `ＡＬＩＣＥ` and `Аlice` (Cyrillic А) are one account.
pub fn lookup_key(raw: &str) -> String {
    names::skeleton_key(raw.trim())
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Member,
    Staff,
    Admin,
}

#[derive(Debug, thiserror::Error)]
#[error("unknown role {0:?}: expected member, staff or admin")]
pub struct UnknownRole(pub String);

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Staff => "staff",
            Role::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, UnknownRole> {
        match raw {
            "member" => Ok(Role::Member),
            "staff" => Ok(Role::Staff),
            "admin" => Ok(Role::Admin),
            other => Err(UnknownRole(other.to_owned())),
        }
    }

    /// Staff and admins hold the staff role; their powers also need 2FA (see permissions).
    pub fn is_staff(self) -> bool {
        self >= Role::Staff
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_names_are_fine() {
        assert_eq!(Username::parse("张伟").map(|u| u.0), Ok("张伟".to_owned()));
    }

    #[test]
    fn full_width_letters_are_folded_before_measuring() {
        let name = Username::parse("ｚｈａｎｇ").expect("valid");
        assert_eq!(name.as_str(), "zhang");
    }

    #[test]
    fn length_is_counted_in_characters_not_bytes() {
        assert!(Username::parse("张").is_err());
        assert!(Username::parse(&"伟".repeat(32)).is_ok());
        assert!(Username::parse(&"伟".repeat(33)).is_err());
    }

    #[test]
    fn spaces_and_markup_are_refused() {
        for bad in [
            "a b",
            "<script>",
            "x\u{0}y",
            "_lead",
            "名字!",
            "ab\u{202E}cd",
            "\u{301}ab",
        ] {
            assert!(Username::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_in_every_script_and_with_emoji_are_fine() {
        for good in [
            "🐳whale_watcher",
            "अर्जुन",
            "محمد",
            "Işıl",
            "김민준",
            "👨\u{200D}💻dev",
        ] {
            assert!(Username::parse(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn names_that_look_alike_share_a_key() {
        let latin = Username::parse("Alice").expect("valid");
        let cyrillic = Username::parse("\u{0410}lice").expect("valid");
        assert_eq!(latin.key(), cyrillic.key());
    }

    #[test]
    fn keys_ignore_case_and_width() {
        let a = Username::parse("Alice").expect("valid");
        assert_eq!(a.key(), lookup_key("ＡＬＩＣＥ"));
    }

    #[test]
    fn roles_round_trip() {
        for role in [Role::Member, Role::Staff, Role::Admin] {
            assert_eq!(Role::parse(role.as_str()).ok(), Some(role));
        }
        assert!(Role::parse("root").is_err());
    }
}
