// @generated automatically by Diesel CLI.

diesel::table! {
    accounts (id) {
        id -> Text,
        role -> Text,
        login -> Nullable<Text>,
        phone -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        display_name -> Text,
        site_id -> Nullable<Text>,
        phone_verified -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (principal, method, request_id) {
        principal -> Text,
        method -> Text,
        request_id -> Text,
        fingerprint -> Binary,
        response -> Binary,
        created_at -> Timestamp,
    }
}

diesel::table! {
    phone_codes (id) {
        id -> Text,
        phone -> Text,
        purpose -> Text,
        code_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        attempts -> Integer,
        consumed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        family_id -> Text,
        account_id -> Text,
        issued_at -> Timestamp,
        family_expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    signing_keys (id) {
        id -> Text,
        private_key_pem -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(refresh_tokens -> accounts (account_id));

diesel::allow_tables_to_appear_in_same_query!(accounts, idempotency_keys, phone_codes, refresh_tokens, signing_keys,);
