//! The tables, written by hand so that one schema serves SQLite and PostgreSQL
//! (ids are BIGINT on both; timestamps are UTC without zone).

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        username_key -> Text,
        password_hash -> Text,
        role -> Text,
        locale -> Nullable<Text>,
        suspended_until -> Nullable<Timestamp>,
        suspension_reason -> Nullable<Text>,
        created_at -> Timestamp,
        totp_enabled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        csrf_token -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        user_agent -> Nullable<Text>,
        ip -> Nullable<Text>,
    }
}

diesel::table! {
    boards (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        description_zh -> Text,
        description_en -> Text,
        position -> Integer,
        thread_count -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    threads (id) {
        id -> BigInt,
        board_id -> BigInt,
        author_id -> BigInt,
        title -> Text,
        created_at -> Timestamp,
        last_activity_at -> Timestamp,
        post_count -> BigInt,
        reply_count -> BigInt,
        pinned_at -> Nullable<Timestamp>,
        locked_at -> Nullable<Timestamp>,
        removed_at -> Nullable<Timestamp>,
        removed_reason -> Nullable<Text>,
        removed_by -> Nullable<BigInt>,
        staff_answered -> Bool,
        accepted_post_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    posts (id) {
        id -> BigInt,
        thread_id -> BigInt,
        number -> BigInt,
        author_id -> BigInt,
        body_source -> Text,
        body_html -> Text,
        created_at -> Timestamp,
        edited_at -> Nullable<Timestamp>,
        removed_at -> Nullable<Timestamp>,
        removed_reason -> Nullable<Text>,
        removed_by -> Nullable<BigInt>,
        search_len -> BigInt,
    }
}

diesel::table! {
    totp_credentials (user_id) {
        user_id -> BigInt,
        secret_ciphertext -> Binary,
        last_step -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> BigInt,
        user_id -> BigInt,
        code_hash -> Text,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    pending_logins (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    login_throttles (scope, key) {
        scope -> Text,
        key -> Text,
        failures -> BigInt,
        last_failure_at -> Timestamp,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(totp_credentials -> users (user_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(pending_logins -> users (user_id));
diesel::joinable!(threads -> boards (board_id));
diesel::joinable!(threads -> users (author_id));
diesel::joinable!(posts -> threads (thread_id));
diesel::joinable!(posts -> users (author_id));

diesel::table! {
    flags (id) {
        id -> BigInt,
        post_id -> BigInt,
        member_id -> BigInt,
        reason -> Text,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
        resolved_by -> Nullable<BigInt>,
        resolution -> Nullable<Text>,
    }
}

diesel::table! {
    mod_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_id -> BigInt,
        action -> Text,
        target_kind -> Text,
        target_id -> BigInt,
        reason -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::joinable!(flags -> posts (post_id));
diesel::joinable!(mod_log -> users (actor_id));

diesel::allow_tables_to_appear_in_same_query!(
    flags,
    mod_log,
    users,
    sessions,
    boards,
    threads,
    posts,
    totp_credentials,
    recovery_codes,
    pending_logins,
    login_throttles,
);

diesel::table! {
    search_log (id) {
        id -> BigInt,
        query -> Text,
        result_count -> BigInt,
        searched_at -> Timestamp,
    }
}
