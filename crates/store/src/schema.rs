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
    mediator_specialties (mediator_id, specialty_code) {
        mediator_id -> Text,
        specialty_code -> Text,
    }
}

diesel::table! {
    mediators (id) {
        id -> Text,
        account_id -> Text,
        display_name -> Text,
        kind -> Text,
        level -> Integer,
        languages -> Text,
        modes -> Text,
        home_site_id -> Text,
        bio -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
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
    rooms (id) {
        id -> Text,
        site_id -> Text,
        name -> Text,
        kind -> Text,
        capacity -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    signing_keys (id) {
        id -> Text,
        private_key_pem -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sites (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        parent_id -> Nullable<Text>,
        time_zone -> Text,
        address -> Text,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    specialties (code) {
        code -> Text,
        name_zh -> Text,
        name_en -> Text,
        position -> Integer,
    }
}

diesel::joinable!(mediator_specialties -> mediators (mediator_id));
diesel::joinable!(mediator_specialties -> specialties (specialty_code));
diesel::joinable!(mediators -> accounts (account_id));
diesel::joinable!(mediators -> sites (home_site_id));
diesel::joinable!(refresh_tokens -> accounts (account_id));
diesel::joinable!(rooms -> sites (site_id));

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    idempotency_keys,
    mediator_specialties,
    mediators,
    phone_codes,
    refresh_tokens,
    rooms,
    signing_keys,
    sites,
    specialties,
);
