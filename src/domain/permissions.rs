//! Who may do what. Every action starts by asking here; handlers never decide rights.
//! Staff powers need the staff role AND 2FA (PRODUCT.md): a staff account without 2FA is a
//! member until it enrols, and is told so by the typed denial below.

use super::ids::UserId;
use super::user::Role;

/// The signed-in user as far as rights are concerned.
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    pub id: UserId,
    pub role: Role,
    pub totp_enabled: bool,
}

/// Why a right is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// Not theirs to do (403 `forbidden`).
    #[error("forbidden")]
    Forbidden,
    /// A staff power asked for by staff without 2FA (403 `staff_2fa_required`).
    #[error("staff powers need 2FA")]
    StaffNeeds2fa,
    /// The thread is locked (409 `thread_locked`).
    #[error("thread locked")]
    ThreadLocked,
}

/// The staff badge: the role alone never shows it, so an account whose password leaked
/// cannot speak as staff without the second factor too.
pub fn shows_staff_badge(role: Role, totp_enabled: bool) -> bool {
    role.is_staff() && totp_enabled
}

impl Actor {
    /// The one gate of every staff power (moderation, editing others' posts, seeing removed
    /// content).
    pub fn staff_power(&self) -> Result<(), Denied> {
        match (self.role.is_staff(), self.totp_enabled) {
            (false, _) => Err(Denied::Forbidden),
            (true, false) => Err(Denied::StaffNeeds2fa),
            (true, true) => Ok(()),
        }
    }

    pub fn has_staff_powers(&self) -> bool {
        self.staff_power().is_ok()
    }

    /// Staff whose powers wait for 2FA: every page tells them to enrol.
    pub fn staff_without_2fa(&self) -> bool {
        self.staff_power() == Err(Denied::StaffNeeds2fa)
    }
}

/// Who is reading, as far as removed content goes: staff see it marked, with the reason;
/// an author sees that their own post was removed, and why; nobody else sees it at all.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reader {
    pub user: Option<UserId>,
    pub staff: bool,
}

impl Reader {
    pub fn sees_removed_by(&self, author: UserId) -> bool {
        self.staff || self.user == Some(author)
    }
}

/// Authors edit their own posts; staff (with 2FA) edit any post.
pub fn can_edit_post(actor: &Actor, author: UserId) -> Result<(), Denied> {
    if actor.id == author {
        return Ok(());
    }
    actor.staff_power()
}

/// A locked thread takes no new replies or edits from members; staff may still write in
/// it, to explain why it was locked.
pub fn can_write_in(actor: &Actor, thread_locked: bool) -> Result<(), Denied> {
    if !thread_locked {
        return Ok(());
    }
    match actor.staff_power() {
        Ok(()) => Ok(()),
        Err(Denied::StaffNeeds2fa) => Err(Denied::StaffNeeds2fa),
        Err(_) => Err(Denied::ThreadLocked),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEMBER: Actor = Actor {
        id: UserId(1),
        role: Role::Member,
        totp_enabled: true,
    };
    const STAFF: Actor = Actor {
        id: UserId(2),
        role: Role::Staff,
        totp_enabled: true,
    };
    const STAFF_WITHOUT_2FA: Actor = Actor {
        id: UserId(3),
        role: Role::Staff,
        totp_enabled: false,
    };
    const ADMIN_WITHOUT_2FA: Actor = Actor {
        id: UserId(4),
        role: Role::Admin,
        totp_enabled: false,
    };

    #[test]
    fn members_edit_only_their_own_posts() {
        assert_eq!(can_edit_post(&MEMBER, UserId(1)), Ok(()));
        assert_eq!(can_edit_post(&MEMBER, UserId(9)), Err(Denied::Forbidden));
        assert_eq!(can_edit_post(&STAFF, UserId(9)), Ok(()));
    }

    #[test]
    fn staff_powers_wait_for_2fa() {
        for actor in [STAFF_WITHOUT_2FA, ADMIN_WITHOUT_2FA] {
            assert_eq!(actor.staff_power(), Err(Denied::StaffNeeds2fa));
            assert!(actor.staff_without_2fa() && !actor.has_staff_powers());
            assert_eq!(can_edit_post(&actor, UserId(9)), Err(Denied::StaffNeeds2fa));
            assert_eq!(can_edit_post(&actor, actor.id), Ok(()), "own posts still");
            assert_eq!(can_write_in(&actor, true), Err(Denied::StaffNeeds2fa));
        }
        assert_eq!(MEMBER.staff_power(), Err(Denied::Forbidden));
        assert!(!MEMBER.staff_without_2fa());
        assert!(STAFF.has_staff_powers() && !STAFF.staff_without_2fa());
    }

    #[test]
    fn the_badge_needs_the_role_and_2fa() {
        assert!(shows_staff_badge(Role::Staff, true));
        assert!(shows_staff_badge(Role::Admin, true));
        assert!(!shows_staff_badge(Role::Staff, false));
        assert!(!shows_staff_badge(Role::Member, true));
    }

    #[test]
    fn locked_threads_refuse_member_replies() {
        assert_eq!(can_write_in(&MEMBER, false), Ok(()));
        assert_eq!(can_write_in(&MEMBER, true), Err(Denied::ThreadLocked));
        assert_eq!(can_write_in(&STAFF, true), Ok(()));
    }
}
