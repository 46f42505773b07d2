// @generated automatically by Diesel CLI.

diesel::table! {
    account_blocks (account_id) {
        account_id -> Text,
        disabled -> Bool,
        tokens_not_before -> Timestamp,
        reason -> Text,
        updated_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    accounts (id) {
        id -> Text,
        role -> Text,
        login -> Nullable<Text>,
        phone -> Nullable<Text>,
        phone_index -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        display_name -> Text,
        site_id -> Nullable<Text>,
        phone_verified -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    agreement_signatures (agreement_id, party_position) {
        agreement_id -> Text,
        party_position -> Integer,
        account_id -> Text,
        signed_at -> Timestamp,
    }
}

diesel::table! {
    agreements (id) {
        id -> Text,
        case_id -> Text,
        appointment_id -> Text,
        status -> Text,
        text -> Text,
        terms -> Text,
        performance_deadline -> Timestamp,
        content_sha256 -> Text,
        drafted_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        signed_at -> Nullable<Timestamp>,
        void_reason -> Text,
        voided_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    appointment_mediators (appointment_id, mediator_id) {
        appointment_id -> Text,
        mediator_id -> Text,
    }
}

diesel::table! {
    appointments (id) {
        id -> Text,
        case_id -> Text,
        site_id -> Text,
        room_id -> Nullable<Text>,
        mode -> Text,
        status -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        join_url -> Text,
        cancel_reason -> Text,
        outcome_result -> Nullable<Text>,
        agreement_summary -> Text,
        referred_to -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        on_the_spot -> Bool,
        home_visit_id -> Nullable<Text>,
        travel_seconds -> Integer,
    }
}

diesel::table! {
    audit_events (seq) {
        seq -> BigInt,
        at -> Timestamp,
        actor_id -> Text,
        actor_role -> Text,
        action -> Text,
        target_kind -> Text,
        target_id -> Text,
        detail -> Text,
        peer -> Text,
        kiosk_id -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    audit_head (id) {
        id -> Integer,
        seq -> BigInt,
        hash -> Text,
    }
}

diesel::table! {
    block_generation (id) {
        id -> Integer,
        generation -> BigInt,
    }
}

diesel::table! {
    calendar_generation (id) {
        id -> Integer,
        generation -> BigInt,
        holds -> BigInt,
    }
}

diesel::table! {
    case_events (id) {
        id -> Text,
        case_id -> Text,
        at -> Timestamp,
        actor_id -> Nullable<Text>,
        kind -> Text,
        detail -> Text,
    }
}

diesel::table! {
    case_messages (id) {
        id -> Text,
        case_id -> Text,
        author_id -> Text,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    case_parties (case_id, position) {
        case_id -> Text,
        position -> Integer,
        name -> Text,
        phone -> Text,
        role -> Text,
        participation -> Text,
        answer_reason -> Text,
        phone_index -> Nullable<Text>,
    }
}

diesel::table! {
    case_tasks (id) {
        id -> Text,
        case_id -> Text,
        assignee_site_id -> Text,
        dispatched_by -> Text,
        instructions -> Text,
        due_at -> Timestamp,
        status -> Text,
        result -> Nullable<Text>,
        note -> Text,
        acknowledged_at -> Nullable<Timestamp>,
        acknowledged_by -> Nullable<Text>,
        reported_at -> Nullable<Timestamp>,
        reported_by -> Nullable<Text>,
        overdue_noticed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    cases (id) {
        id -> Text,
        site_id -> Text,
        applicant_account_id -> Nullable<Text>,
        created_by -> Text,
        category -> Text,
        summary -> Text,
        origin -> Text,
        grade -> Text,
        grade_rationale -> Text,
        status -> Text,
        amount_in_dispute_yuan -> BigInt,
        party_count -> Integer,
        violence_risk -> Bool,
        vulnerable_party -> Bool,
        repeat_dispute -> Bool,
        group_incident_risk -> Bool,
        petition_history -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        police_incident_id -> Nullable<Text>,
        handed_over_by -> Text,
        proceed_reason -> Text,
        escalated_at -> Nullable<Timestamp>,
        escalation_reason -> Text,
    }
}

diesel::table! {
    dispatch_days (station_id, day) {
        station_id -> Text,
        day -> Text,
        version -> BigInt,
    }
}

diesel::table! {
    dispatch_plans (id) {
        id -> Text,
        station_id -> Text,
        day -> Text,
        version -> BigInt,
        body -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        committed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    follow_ups (id) {
        id -> Text,
        agreement_id -> Text,
        case_id -> Text,
        result -> Text,
        note -> Text,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    home_visits (id) {
        id -> Text,
        case_id -> Text,
        station_id -> Text,
        day -> Text,
        address -> Text,
        latitude -> Double,
        longitude -> Double,
        window_start -> Timestamp,
        window_end -> Timestamp,
        duration_minutes -> Integer,
        reason -> Text,
        specialty_code -> Nullable<Text>,
        priority -> Integer,
        status -> Text,
        van_id -> Nullable<Text>,
        position -> Nullable<Integer>,
        eta -> Nullable<Timestamp>,
        note -> Text,
        cancel_reason -> Text,
        requested_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        outcome_result -> Nullable<Text>,
        agreement_summary -> Text,
        referred_to -> Text,
        appointment_id -> Nullable<Text>,
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
    outbox (id) {
        id -> Text,
        kind -> Text,
        recipient -> Text,
        body -> Text,
        appointment_id -> Nullable<Text>,
        deliver_after -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        attempts -> Integer,
        delivered_at -> Nullable<Timestamp>,
        cancelled_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        agreement_id -> Nullable<Text>,
        channel -> Text,
        dedup_key -> Nullable<Text>,
    }
}

diesel::table! {
    phone_codes (id) {
        id -> Text,
        phone_index -> Text,
        purpose -> Text,
        code_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        attempts -> Integer,
        consumed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    rating_moderations (id) {
        id -> Text,
        rating_id -> Text,
        actor_id -> Text,
        action -> Text,
        reason -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    rating_summaries (mediator_id) {
        mediator_id -> Text,
        count -> Integer,
        sum_overall -> Integer,
        sum_fairness -> Integer,
        sum_professionalism -> Integer,
        sum_timeliness -> Integer,
        stars_1 -> Integer,
        stars_2 -> Integer,
        stars_3 -> Integer,
        stars_4 -> Integer,
        stars_5 -> Integer,
        settled_count -> Integer,
        settled_sum -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    ratings (id) {
        id -> Text,
        appointment_id -> Text,
        mediator_id -> Text,
        rater_account_id -> Text,
        overall -> Integer,
        fairness -> Integer,
        professionalism -> Integer,
        timeliness -> Integer,
        comment -> Text,
        settled -> Bool,
        hidden -> Bool,
        hidden_reason -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
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
    resource_holds (resource, appointment_id) {
        resource -> Text,
        appointment_id -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
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
    schedule_exceptions (id) {
        id -> Text,
        mediator_id -> Text,
        site_id -> Nullable<Text>,
        kind -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
    }
}

diesel::table! {
    search_generation (id) {
        id -> Integer,
        directory -> BigInt,
        ratings -> BigInt,
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
        police_desk_phone -> Text,
        police_desk_webhook_url -> Text,
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

diesel::table! {
    van_crew (van_id, day, mediator_id) {
        van_id -> Text,
        day -> Text,
        mediator_id -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
    }
}

diesel::table! {
    van_shifts (van_id, day) {
        van_id -> Text,
        day -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
    }
}

diesel::table! {
    vans (id) {
        id -> Text,
        plate -> Text,
        depot_site_id -> Text,
        seats -> Integer,
        status -> Text,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        located_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    visit_tracking (token_hash) {
        token_hash -> Text,
        visit_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    working_hours (id) {
        id -> Text,
        mediator_id -> Text,
        site_id -> Text,
        day_of_week -> Integer,
        start_minute -> Integer,
        end_minute -> Integer,
        effective_from -> Nullable<Date>,
        effective_to -> Nullable<Date>,
    }
}

diesel::joinable!(appointment_mediators -> appointments (appointment_id));
diesel::joinable!(appointment_mediators -> mediators (mediator_id));
diesel::joinable!(account_blocks -> accounts (account_id));
diesel::joinable!(appointments -> accounts (created_by));
diesel::joinable!(appointments -> cases (case_id));
diesel::joinable!(appointments -> rooms (room_id));
diesel::joinable!(appointments -> sites (site_id));
diesel::joinable!(agreement_signatures -> agreements (agreement_id));
diesel::joinable!(agreements -> appointments (appointment_id));
diesel::joinable!(agreements -> cases (case_id));
diesel::joinable!(case_events -> cases (case_id));
diesel::joinable!(case_messages -> accounts (author_id));
diesel::joinable!(case_messages -> cases (case_id));
diesel::joinable!(case_parties -> cases (case_id));
diesel::joinable!(case_tasks -> accounts (dispatched_by));
diesel::joinable!(case_tasks -> cases (case_id));
diesel::joinable!(case_tasks -> sites (assignee_site_id));
diesel::joinable!(cases -> sites (site_id));
diesel::joinable!(cases -> specialties (category));
diesel::joinable!(dispatch_plans -> sites (station_id));
diesel::joinable!(follow_ups -> agreements (agreement_id));
diesel::joinable!(follow_ups -> cases (case_id));
diesel::joinable!(home_visits -> cases (case_id));
diesel::joinable!(home_visits -> sites (station_id));
diesel::joinable!(home_visits -> vans (van_id));
diesel::joinable!(mediator_specialties -> mediators (mediator_id));
diesel::joinable!(mediator_specialties -> specialties (specialty_code));
diesel::joinable!(mediators -> accounts (account_id));
diesel::joinable!(mediators -> sites (home_site_id));
diesel::joinable!(rating_moderations -> accounts (actor_id));
diesel::joinable!(rating_moderations -> ratings (rating_id));
diesel::joinable!(rating_summaries -> mediators (mediator_id));
diesel::joinable!(ratings -> accounts (rater_account_id));
diesel::joinable!(ratings -> appointments (appointment_id));
diesel::joinable!(ratings -> mediators (mediator_id));
diesel::joinable!(refresh_tokens -> accounts (account_id));
diesel::joinable!(resource_holds -> appointments (appointment_id));
diesel::joinable!(rooms -> sites (site_id));
diesel::joinable!(schedule_exceptions -> mediators (mediator_id));
diesel::joinable!(schedule_exceptions -> sites (site_id));
diesel::joinable!(van_crew -> mediators (mediator_id));
diesel::joinable!(van_shifts -> vans (van_id));
diesel::joinable!(vans -> sites (depot_site_id));
diesel::joinable!(visit_tracking -> home_visits (visit_id));
diesel::joinable!(working_hours -> mediators (mediator_id));
diesel::joinable!(working_hours -> sites (site_id));

diesel::allow_tables_to_appear_in_same_query!(
    account_blocks,
    accounts,
    agreement_signatures,
    agreements,
    appointment_mediators,
    appointments,
    audit_events,
    audit_head,
    block_generation,
    calendar_generation,
    case_events,
    case_messages,
    case_parties,
    case_tasks,
    cases,
    dispatch_days,
    dispatch_plans,
    follow_ups,
    home_visits,
    idempotency_keys,
    mediator_specialties,
    mediators,
    outbox,
    phone_codes,
    rating_moderations,
    rating_summaries,
    ratings,
    refresh_tokens,
    resource_holds,
    rooms,
    schedule_exceptions,
    search_generation,
    signing_keys,
    sites,
    specialties,
    van_crew,
    van_shifts,
    vans,
    visit_tracking,
    working_hours,
);
