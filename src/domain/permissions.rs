//! Who may do what. Every action starts by asking here; handlers never decide rights.

use super::ids::UserId;
use super::user::Role;

/// The signed-in user as far as rights are concerned.
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    pub id: UserId,
    pub role: Role,
}

impl Actor {
    /// Staff powers (moderation, editing others' posts) belong to the staff role.
    pub fn has_staff_powers(&self) -> bool {
        self.role.is_staff()
    }
}

/// Authors edit their own posts; staff edit any post.
pub fn can_edit_post(actor: &Actor, author: UserId) -> bool {
    actor.id == author || actor.has_staff_powers()
}

/// A locked thread takes no new replies or edits from members; staff may still write in
/// it, to explain why it was locked.
pub fn can_write_in(actor: &Actor, thread_locked: bool) -> bool {
    !thread_locked || actor.has_staff_powers()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEMBER: Actor = Actor {
        id: UserId(1),
        role: Role::Member,
    };
    const STAFF: Actor = Actor {
        id: UserId(2),
        role: Role::Staff,
    };

    #[test]
    fn members_edit_only_their_own_posts() {
        assert!(can_edit_post(&MEMBER, UserId(1)));
        assert!(!can_edit_post(&MEMBER, UserId(9)));
        assert!(can_edit_post(&STAFF, UserId(9)));
    }

    #[test]
    fn locked_threads_refuse_member_replies() {
        assert!(can_write_in(&MEMBER, false));
        assert!(!can_write_in(&MEMBER, true));
        assert!(can_write_in(&STAFF, true));
    }
}
