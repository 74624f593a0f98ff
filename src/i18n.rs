//! Every string a listener reads, in French (default) and English, from `assets/`.
//! No draw function writes a sentence inline.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::app::action::Action;
use crate::config::Language;
use crate::domain::call::{CallType, Outcome, Rud, RudLevel};
use crate::domain::callback::{AttemptResult, CallbackStatus, Priority};
use crate::domain::caller_file::BadFileCode;
use crate::domain::caller_file::{AgeBand, CallerRelation, FileEventKind, FileStatus, Gender};
use crate::domain::emergency::{Channel, Rule, Situation};
use crate::domain::listener::{DisplayNameError, LoginError};
use crate::domain::passphrase::{MIN_CHARS, WeakPassphrase};
use crate::domain::prompt::PromptOutcome;

macro_rules! strings {
    ($($field:ident),+ $(,)?) => {
        /// The interface's words. Both language files must define every one (a test checks).
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Strings {
            $(pub $field: String,)+
            /// Labels of stored words, by enum: `call_type.listening = "Écoute"`.
            labels: BTreeMap<String, BTreeMap<String, String>>,
            /// Per action: `[short, long]` descriptions for hints and the help.
            actions: BTreeMap<String, [String; 2]>,
            /// What the command line prints, and the errors a person reads wherever they come
            /// from (the store, the configuration, the export writer): the `[cli]` table.
            pub cli: CliStrings,
        }
    };
}

macro_rules! section {
    ($(#[$doc:meta])* $name:ident { $($field:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $(pub $field: String,)+
        }
    };
}

strings!(
    language_name,
    file_history_one,
    callback_attempts_one,
    repeat_calls_one,
    end_call_notes_one,
    supervisor_calls_one,
    supervisor_prompts_one,
    summary_calls_one,
    count_files_one,
    count_files,
    count_calls_one,
    count_calls,
    too_small,
    tabs_hint,
    hint_editing,
    pane_call,
    pane_file,
    pane_emergency,
    pane_callbacks,
    role_listener,
    role_supervisor,
    status_shift,
    status_callbacks_short,
    status_not_saved_short,
    status_saved_short,
    status_call,
    status_callbacks,
    status_editing,
    status_not_saved,
    status_saved_at,
    key_shift,
    key_space,
    key_enter,
    key_esc,
    key_home,
    key_end,
    key_delete,
    no_call,
    start_call_hint,
    quick_calls_title,
    no_shift_yet,
    call_running,
    anonymous,
    field_type,
    field_file,
    field_themes,
    field_rud,
    field_orientations,
    field_outcome,
    notes_idle,
    notes_editing,
    call_already_running,
    no_call_running,
    call_kept_anonymous,
    call_saved,
    rud_title,
    rud_risk,
    rud_urgency,
    rud_danger,
    rud_risk_short,
    rud_urgency_short,
    rud_danger_short,
    rud_not_assessed,
    rud_low,
    rud_medium,
    rud_high,
    rud_hint,
    no_file,
    no_file_hint,
    file_open,
    file_follow_up,
    file_closed,
    file_since,
    file_instructions,
    file_departement,
    file_summary,
    file_history,
    numbers_given,
    channel_no_voice,
    card_hint,
    card_title,
    card_hint_popup,
    number_recorded,
    no_callbacks,
    callback_overdue,
    callback_due_soon,
    callback_anyone,
    callback_attempts,
    pick_call_type,
    pick_outcome,
    pick_themes,
    pick_orientations,
    search_title,
    search_prompt,
    search_nothing,
    search_hint,
    new_file_title,
    new_file_give_code,
    press_enter,
    callback_offer_title,
    callback_offer,
    callback_form_title,
    callback_when,
    callback_number,
    callback_consent,
    callback_form_hint,
    callback_needs_consent,
    callback_bad_number,
    preset_in_minutes,
    preset_in_hours,
    preset_tomorrow_at,
    quit_title,
    quit_confirm,
    draft_title,
    draft_found,
    draft_choice,
    draft_recovered,
    shift_title,
    shift_open_found,
    shift_choice,
    handover_title,
    help_title,
    help_global,
    help_main,
    help_call,
    help_editor,
    unlock_title,
    locked_title,
    locked_call_running,
    unlock_who,
    unlock_passphrase,
    unlock_hint,
    unlock_wait,
    unlock_unknown_as,
    unlocking,
    handover_blocked,
    demo_accounts,
    setup_title,
    setup_intro,
    setup_login,
    setup_name,
    setup_passphrase,
    setup_confirmation,
    setup_hint,
    setup_name_missing,
    setup_name_control,
    setup_passphrases_differ,
    setup_creating,
    weak_passphrase_too_short,
    weak_passphrase_contains_login,
    weak_passphrase_guessable,
    weak_passphrase_advice,
    no_prompt_pending,
    end_blocked_by_prompt,
    end_asks_rud,
    ack_needs_note,
    pick_situations,
    field_situations,
    banner_ack_hint,
    ack_title,
    ack_outcome_label,
    ack_note_label,
    ack_hint,
    prompt_waiting,
    history_prompts,
    history_prompt_reason,
    error_wrong_passphrase,
    error_unknown_listener,
    error_deactivated,
    error_damaged,
    error_key_file,
    error_busy,
    error_read_only,
    error_disk_full,
    error_forbidden,
    error_other,
    error_slot_not_endorsed,
    error_access_revoked,
    error_slot_refused,
    slot_problem_legacy,
    slot_problem_not_pinned,
    slot_problem_role,
    slot_problem_endorsement,
    slot_problem_account,
    search_title_open,
    search_status,
    search_departement,
    search_all,
    search_hint_open,
    search_filters_hint,
    repeat_title,
    repeat_calls,
    repeat_rud,
    repeat_rud_older,
    repeat_callbacks,
    repeat_no_rud,
    repeat_no_instructions,
    file_form_title,
    file_status,
    file_age_band,
    file_gender,
    file_relation,
    file_unset,
    file_form_hint,
    file_bad_departement,
    closure_title,
    closure_reason,
    closure_agreed,
    answer_yes,
    answer_no,
    answer_unset,
    closure_hint,
    closure_needs_reason,
    closure_needs_answer,
    reopen_title,
    hold_set_title,
    hold_lift_title,
    reason_label,
    reason_hint,
    reason_needed,
    amend_title,
    amend_hint,
    amend_discard_armed,
    file_saved,
    not_your_call,
    file_not_closed,
    file_already_closed,
    no_file_shown,
    no_call_selected,
    file_callbacks,
    file_legal_hold,
    file_purged,
    file_events,
    file_hint,
    closure_with_agreement,
    closure_without_agreement,
    software,
    purged_at_unlock,
    error_too_soon,
    retention_not_set,
    callback_offer_anonymous,
    end_call_title,
    end_call_will_save,
    field_prompts,
    field_notes,
    end_call_no_notes,
    end_call_notes,
    end_call_still_asked,
    end_call_keys,
    quit_prompt_pending,
    quick_needs_blank_call,
    end_asks_prompt_outcome,
    summary_audit_unrecorded,
    summary_audit_signed,
    summary_audit_unsigned,
    summary_audit_keys,
    summary_audit_key,
    summary_audit_key_retired,
    status_read_only,
    status_read_only_short,
    status_disk_full,
    status_disk_full_short,
    file_changed_meanwhile,
    purge_awaiting_supervisor,
    help_file,
    amended,
    access_title,
    access_generated,
    access_closure,
    access_purged,
    access_none,
    access_due,
    callback_bad_when,
    callback_fell_due,
    attempt_flagged,
    attempt_recorded,
    callback_scheduled_saved,
    callback_changed,
    conflict_closed,
    conflict_assigned,
    callback_conflict,
    help_callbacks,
    callback_priority,
    callback_assignee,
    callback_note,
    callback_me,
    perform_title,
    perform_taking,
    perform_earlier,
    perform_hint,
    reassign_title,
    reassign_hint,
    reschedule_title,
    reschedule_label,
    reschedule_hint,
    cancel_callback_title,
    supervisor_title,
    supervisor_hint,
    supervisor_on_shift,
    supervisor_nobody,
    supervisor_since,
    supervisor_calls,
    supervisor_on_call,
    supervisor_free,
    supervisor_left,
    supervisor_left_detail,
    supervisor_left_chosen,
    supervisor_close_pick,
    supervisor_close_still_there,
    supervisor_prompts,
    supervisor_waiting,
    queue_filter_all,
    queue_filter_overdue,
    queue_filter_flagged,
    supervisor_queue,
    supervisor_listener,
    supervisor_filter,
    callback_flagged,
    summary_calls,
    summary_by_type,
    summary_by_theme,
    summary_prompts,
    summary_callbacks,
    summary_files,
    summary_title_shift,
    summary_title_period,
    summary_notes,
    summary_audit,
    export_times_in,
    end_shift_call_running,
    shift_ended,
    shift_ended_no_export,
    end_shift_title,
    end_shift_loading,
    end_shift_handover,
    end_shift_hint,
    end_shift_closing,
    end_shift_of_title,
    shift_of_ended,
    shift_of_ended_no_export,
);

section!(
    /// What the command line says and every error a person reads, from the `[cli]` table.
    CliStrings {
        cause_separator,
        no_hardening,
        no_home,
        needs_a_terminal,
        cannot_open,
        not_a_file_url,
        which_account,
        passphrase_for,
        new_passphrase_for,
        passphrase_again,
        passphrases_differ,
        no_passphrase_chosen,
        passphrase_unreadable,
        stdin_unreadable,
        stdin_ended,
        stdout_unwritable,
        login_length,
        login_character,
        empty_display_name,
        control_in_display_name,
        login_taken,
        own_account,
        bad_file_code,
        no_file_code,
        no_shift,
        hold_needs_reason,
        hold_already,
        hold_none,
        period_backwards,
        retention_not_set,
        setting_out_of_bounds,
        forbidden,
        what_close_shift,
        what_call_on_other_shift,
        what_change_other_call,
        what_export_file,
        what_legal_hold,
        what_export_period,
        what_export_other_shift,
        what_export_notes,
        what_add_account,
        what_deactivate,
        what_reset_passphrase,
        what_backup,
        what_purge,
        what_reassign,
        what_reschedule_other,
        what_bulk,
        what_settings,
        what_endorse_slot,
        store_not_found,
        store_already_exists,
        store_key_file_missing,
        store_database_missing,
        store_key_file_damaged,
        store_wrong_passphrase,
        store_unknown_account,
        store_deactivated,
        store_damaged,
        store_too_new,
        store_busy,
        store_read_only,
        store_disk_full,
        store_conflict,
        store_file_changed,
        store_slot_refused,
        store_access_revoked,
        store_sqlite,
        internal_error,
        io_not_found,
        io_permission,
        io_exists,
        io_disk_full,
        io_read_only,
        io_is_a_folder,
        io_invalid,
        cannot_write,
        out_terminal,
        export_folder,
        encrypting,
        out_store_file,
        out_link,
        out_not_regular,
        kind_folder,
        kind_fifo,
        kind_device,
        kind_socket,
        out_no_folder,
        out_companion,
        out_not_export,
        config_unreadable,
        config_file,
        config_not_utf8,
        config_at,
        config_at_key,
        config_at_table,
        config_in_table,
        config_at_line,
        config_at_least,
        config_at_most,
        config_in_call_shorter,
        config_no_theme,
        config_empty_theme,
        config_theme_twice,
        config_bad_time,
        config_preset_one_of,
        config_bad_recipient,
        config_unknown_key,
        config_unknown_value,
        config_missing_key,
        config_wrong_type,
        config_bad_value,
        config_syntax,
        config_not_a_zone,
        override_number,
        override_rule,
        override_number_blank,
        override_needs,
        override_life_risk_stays,
        override_kind_stays,
        override_channel_stays,
        override_empty,
        override_asks_rud_stays,
        override_no_condition,
        override_never_holds,
        override_drops_condition,
        override_no_number,
        override_unknown_number,
        override_keeps_number,
        keys_unknown_context,
        keys_unknown_key,
        keys_unknown_action,
        keys_needed_by_notes,
        keys_card_stays,
        keys_builtin,
        init_creating,
        init_first_account,
        init_created,
        init_retention,
        init_back_up_both,
        demo_exists,
        demo_rebuild,
        demo_building,
        demo_database,
        demo_accounts,
        demo_passphrase,
        demo_open_with,
        demo_retention,
        demo_not_demo,
        count_pending,
        count_pending_one,
        count_handovers,
        count_handovers_one,
        count_faults,
        count_faults_one,
        count_recipients,
        count_recipients_one,
        listener_added,
        account_active,
        account_deactivated,
        listener_deactivated,
        passphrase_changed,
        rekey_progress,
        passphrase_reset,
        rekeyed,
        rekey_removed_version_1,
        check_fault,
        check_running,
        check_read_only,
        check_disk_full,
        check_ok,
        check_audit_head,
        init_root_key,
        endorsed,
        endorsed_fingerprint,
        check_note,
        check_root_key,
        check_no_root_key,
        check_settings,
        check_retention_not_set,
        check_faults,
        check_integrity,
        check_cipher,
        check_foreign_key,
        check_progress_signatures,
        check_entries,
        check_entries_one,
        check_predating,
        check_predating_one,
        check_signatures_all,
        check_signatures_predating,
        check_audit_signature,
        signature_not_its_actor,
        signature_mismatch,
        signature_missing,
        check_audit_altered,
        check_audit_unlinked,
        check_key_file,
        check_key_file_unreadable,
        slot_fault,
        slot_legacy_note,
        slot_no_account,
        slot_deactivated,
        slot_other_login,
        slot_legacy_after_conversion,
        slot_not_pinned,
        slot_role,
        slot_not_endorsed,
        slot_bad_endorsement,
        account_without_slot,
        unknown_setting,
        setting_not_set,
        setting_config_differs,
        backup_written,
        queue_overdue,
        queue_due_soon,
        file_written,
        hold_set,
        hold_lifted,
        purge_would,
        purge_done,
        bad_date,
        period_backwards_days,
        no_open_shift,
        no_closed_shift,
        bad_shift_arg,
        export_written,
        export_written_encrypted,
        kind_integer,
        kind_number,
        kind_text,
        kind_boolean,
        kind_list,
        kind_table,
        kind_date,
        kind_with_value,
        as_written,
        config_out_of_range,
        not_a_regular_file,
        too_large,
        the_database,
    }
);

impl Strings {
    pub fn get(language: Language) -> &'static Strings {
        static FR: OnceLock<Strings> = OnceLock::new();
        static EN: OnceLock<Strings> = OnceLock::new();
        match language {
            Language::Fr => FR.get_or_init(|| parse(include_str!("../assets/strings.fr.toml"))),
            Language::En => EN.get_or_init(|| parse(include_str!("../assets/strings.en.toml"))),
        }
    }

    pub fn is_english(&self) -> bool {
        self.language_name == "English"
    }

    /// Chooses the French or English text of a directory entry.
    pub fn pick<'a>(&self, fr: &'a str, en: &'a str) -> &'a str {
        if self.is_english() { en } else { fr }
    }

    /// Replaces each `{name}` in `template`.
    pub fn fill(&self, template: &str, values: &[(&str, &str)]) -> String {
        values
            .iter()
            .fold(template.to_owned(), |text, (name, value)| text.replace(&format!("{{{name}}}"), value))
    }

    /// `one` or `many` as `count` asks: French reads 0 and 1 in the singular, English 1 only.
    /// No "appel(s)": a count is read in a glance.
    pub fn plural<'a>(&self, count: u64, one: &'a str, many: &'a str) -> &'a str {
        let singular = if self.is_english() { count == 1 } else { count < 2 };
        if singular { one } else { many }
    }

    /// `{count}` and its noun, in the right number: "1 dossier", "3 dossiers".
    pub fn count(&self, count: u64, one: &str, many: &str) -> String {
        self.fill(self.plural(count, one, many), &[("count", &count.to_string())])
    }

    fn label<'a>(&'a self, kind: &str, word: &'a str) -> &'a str {
        self.labels.get(kind).and_then(|words| words.get(word)).map_or(word, String::as_str)
    }

    pub fn call_type(&self, value: CallType) -> &str {
        self.label("call_type", value.as_str())
    }

    pub fn outcome(&self, value: Outcome) -> &str {
        self.label("outcome", value.as_str())
    }

    pub fn priority(&self, value: Priority) -> &str {
        self.label("priority", value.as_str())
    }

    pub fn age_band(&self, value: AgeBand) -> &str {
        self.label("age_band", value.as_str())
    }

    pub fn gender(&self, value: Gender) -> &str {
        self.label("gender", value.as_str())
    }

    pub fn relation(&self, value: CallerRelation) -> &str {
        self.label("relation", value.as_str())
    }

    pub fn channel(&self, value: Channel) -> &str {
        self.label("channel", value.as_str())
    }

    pub fn situation(&self, value: Situation) -> &str {
        self.label("situation", value.as_str())
    }

    pub fn file_event(&self, value: FileEventKind) -> &str {
        self.label("file_event", value.as_str())
    }

    pub fn file_status(&self, value: FileStatus) -> &str {
        self.label("file_status", value.as_str())
    }

    pub fn prompt_outcome(&self, value: PromptOutcome) -> &str {
        self.label("prompt_outcome", value.as_str())
    }

    /// The advice of a rule in the interface's language.
    pub fn advice<'a>(&self, rule: &'a Rule) -> &'a str {
        self.pick(&rule.advice_fr, &rule.advice_en)
    }

    pub fn rud_level(&self, level: Option<RudLevel>) -> &str {
        match level {
            None => &self.rud_not_assessed,
            Some(RudLevel::Low) => &self.rud_low,
            Some(RudLevel::Medium) => &self.rud_medium,
            Some(RudLevel::High) => &self.rud_high,
        }
    }

    /// The grid in one line: "R moyen · U faible · D non évalué".
    pub fn rud_text(&self, rud: &Rud) -> String {
        format!(
            "{} {} · {} {} · {} {}",
            self.rud_risk_short,
            self.rud_level(rud.risk),
            self.rud_urgency_short,
            self.rud_level(rud.urgency),
            self.rud_danger_short,
            self.rud_level(rud.danger)
        )
    }

    pub fn callback_status(&self, value: CallbackStatus) -> &str {
        self.label("callback_status", value.as_str())
    }

    pub fn attempt_result(&self, value: AttemptResult) -> &str {
        self.label("attempt_result", value.as_str())
    }

    /// Why a passphrase is refused, in our words: at most three reasons, then what to do.
    pub fn weak_passphrase(&self, weak: &WeakPassphrase) -> String {
        match weak {
            WeakPassphrase::TooShort => {
                self.fill(&self.weak_passphrase_too_short, &[("min", &MIN_CHARS.to_string())])
            }
            WeakPassphrase::ContainsLogin => self.weak_passphrase_contains_login.clone(),
            WeakPassphrase::Guessable(why) => {
                let reasons: Vec<&str> =
                    why.iter().take(3).map(|w| self.label("passphrase_weakness", w.as_str())).collect();
                if reasons.is_empty() {
                    return format!("{}. {}", self.weak_passphrase_guessable, self.weak_passphrase_advice);
                }
                // French puts a space before the colon and the semicolon.
                let (colon, semicolon) = if self.is_english() { (": ", "; ") } else { (" : ", " ; ") };
                format!(
                    "{}{colon}{}. {}",
                    self.weak_passphrase_guessable,
                    reasons.join(semicolon),
                    self.weak_passphrase_advice
                )
            }
        }
    }

    pub fn action_short(&self, action: Action) -> &str {
        self.actions.get(&action.name()).map_or("?", |texts| texts[0].as_str())
    }

    pub fn action_long(&self, action: Action) -> &str {
        self.actions.get(&action.name()).map_or("?", |texts| texts[1].as_str())
    }
}

/// A sentence of [`Strings`] with its values, said in the reader's language when it is shown.
/// Errors made where the language is not known (the store, the export writer, the
/// configuration being read) carry one; the command line and the terminal say it in the
/// configured language. Its `Display` is the English sentence (for tests and `Debug`).
#[derive(Clone)]
pub struct Phrase {
    template: fn(&Strings) -> &String,
    values: Vec<(&'static str, Part)>,
    /// What went wrong beneath, when the phrase says what could not be done ("cannot write
    /// FILE" because the disk is full): said after it.
    cause: Option<std::sync::Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

#[derive(Clone)]
enum Part {
    Text(String),
    Phrase(Phrase),
}

impl Phrase {
    /// `Phrase::new(|s| &s.cli.no_shift).with("shift", id)`.
    pub fn new(template: fn(&Strings) -> &String) -> Phrase {
        Phrase { template, values: Vec::new(), cause: None }
    }

    /// Fills `{name}` with `value` as it is (a path, a login, a number).
    pub fn with(mut self, name: &'static str, value: impl std::fmt::Display) -> Phrase {
        self.values.push((name, Part::Text(value.to_string())));
        self
    }

    /// Fills `{name}` with another sentence, said in the same language.
    pub fn with_phrase(mut self, name: &'static str, value: Phrase) -> Phrase {
        self.values.push((name, Part::Phrase(value)));
        self
    }

    /// The failure beneath this one.
    pub fn because(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Phrase {
        self.cause = Some(std::sync::Arc::new(cause));
        self
    }

    /// The sentence alone, without its cause.
    pub fn say(&self, s: &Strings) -> String {
        let values: Vec<(&str, String)> = self
            .values
            .iter()
            .map(|(name, part)| {
                let value = match part {
                    Part::Text(text) => text.clone(),
                    Part::Phrase(phrase) => phrase.say(s),
                };
                (*name, value)
            })
            .collect();
        let values: Vec<(&str, &str)> = values.iter().map(|(n, v)| (*n, v.as_str())).collect();
        s.fill((self.template)(s), &values)
    }
}

/// The domain's refusals, in words.
impl Phrase {
    pub fn bad_display_name(error: &DisplayNameError) -> Phrase {
        match error {
            DisplayNameError::Empty => Phrase::new(|s| &s.cli.empty_display_name),
            DisplayNameError::Control(c) => {
                Phrase::new(|s| &s.cli.control_in_display_name).with("code", format!("U+{:04X}", *c as u32))
            }
        }
    }

    pub fn bad_login(error: &LoginError) -> Phrase {
        match error {
            LoginError::Length(length) => Phrase::new(|s| &s.cli.login_length).with("length", length),
            LoginError::Character(c) => {
                Phrase::new(|s| &s.cli.login_character).with("found", format!("{c:?}"))
            }
        }
    }

    pub fn bad_file_code(error: &BadFileCode) -> Phrase {
        Phrase::new(|s| &s.cli.bad_file_code).with("code", format!("{:?}", error.0))
    }
}

impl std::fmt::Display for Phrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.say(Strings::get(Language::En)))
    }
}

impl std::fmt::Debug for Phrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Phrase({self})")
    }
}

impl std::error::Error for Phrase {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause.as_deref().map(|cause| cause as &(dyn std::error::Error + 'static))
    }
}

fn parse(text: &str) -> Strings {
    toml::from_str(text).unwrap_or_else(|e| panic!("built-in UI strings: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_actions() -> Vec<Action> {
        let keymap: BTreeMap<String, BTreeMap<String, String>> =
            toml::from_str(include_str!("../assets/keymap.toml")).unwrap();
        keymap.values().flat_map(|keys| keys.values()).filter_map(|a| Action::parse(a)).collect()
    }

    #[test]
    fn both_languages_label_every_word_and_action() {
        for language in [Language::Fr, Language::En] {
            let s = Strings::get(language);
            let check = |kind: &str, words: Vec<&str>| {
                for word in words {
                    assert!(
                        s.labels.get(kind).is_some_and(|w| w.contains_key(word)),
                        "{}: no label for {kind}.{word}",
                        s.language_name
                    );
                }
            };
            check("call_type", CallType::ALL.iter().map(|v| v.as_str()).collect());
            check("outcome", Outcome::ALL.iter().map(|v| v.as_str()).collect());
            check("priority", Priority::ALL.iter().map(|v| v.as_str()).collect());
            check("age_band", AgeBand::ALL.iter().map(|v| v.as_str()).collect());
            check("gender", Gender::ALL.iter().map(|v| v.as_str()).collect());
            check("relation", CallerRelation::ALL.iter().map(|v| v.as_str()).collect());
            check("channel", Channel::ALL.iter().map(|v| v.as_str()).collect());
            check("situation", Situation::ALL.iter().map(|v| v.as_str()).collect());
            check("prompt_outcome", PromptOutcome::ALL.iter().map(|v| v.as_str()).collect());
            check("file_event", FileEventKind::ALL.iter().map(|v| v.as_str()).collect());
            check("file_status", FileStatus::ALL.iter().map(|v| v.as_str()).collect());
            check("callback_status", CallbackStatus::ALL.iter().map(|v| v.as_str()).collect());
            check("attempt_result", AttemptResult::ALL.iter().map(|v| v.as_str()).collect());
            check(
                "passphrase_weakness",
                crate::domain::passphrase::Weakness::ALL.iter().map(|v| v.as_str()).collect(),
            );
            for action in all_actions() {
                assert!(
                    s.actions.contains_key(&action.name()),
                    "{}: no text for action {action:?}",
                    s.language_name
                );
            }
        }
    }

    #[test]
    fn counts_agree_with_their_noun() {
        let fr = Strings::get(Language::Fr);
        let en = Strings::get(Language::En);
        assert_eq!(fr.count(0, &fr.count_calls_one, &fr.count_calls), "0 appel");
        assert_eq!(fr.count(1, &fr.count_calls_one, &fr.count_calls), "1 appel");
        assert_eq!(fr.count(2, &fr.count_calls_one, &fr.count_calls), "2 appels");
        assert_eq!(en.count(0, &en.count_calls_one, &en.count_calls), "0 calls");
        assert_eq!(en.count(1, &en.count_calls_one, &en.count_calls), "1 call");
        for s in [fr, en] {
            let templates = [&s.file_history, &s.callback_attempts, &s.repeat_calls, &s.supervisor_calls];
            assert!(templates.iter().all(|t| !t.contains("(s)")), "{}", s.language_name);
        }
    }

    /// Both languages fill the same `{names}` in each sentence: a name missing from one would
    /// show as "{path}" to its readers, or leave out what the other says.
    #[test]
    fn both_languages_use_the_same_placeholders() {
        fn names(text: &str) -> std::collections::BTreeSet<String> {
            text.split('{')
                .skip(1)
                .filter_map(|rest| rest.split_once('}'))
                .map(|(n, _)| n.to_owned())
                .collect()
        }
        fn strings_of(table: &toml::Table, prefix: &str, out: &mut BTreeMap<String, String>) {
            for (key, value) in table {
                match value {
                    toml::Value::String(text) => drop(out.insert(format!("{prefix}{key}"), text.clone())),
                    toml::Value::Table(inner) => strings_of(inner, &format!("{prefix}{key}."), out),
                    _ => {}
                }
            }
        }
        let mut fr = BTreeMap::new();
        let mut en = BTreeMap::new();
        strings_of(&include_str!("../assets/strings.fr.toml").parse().unwrap(), "", &mut fr);
        strings_of(&include_str!("../assets/strings.en.toml").parse().unwrap(), "", &mut en);
        assert_eq!(fr.keys().collect::<Vec<_>>(), en.keys().collect::<Vec<_>>(), "the same sentences");
        let differ: Vec<&String> = fr.keys().filter(|key| names(&fr[*key]) != names(&en[*key])).collect();
        assert!(differ.is_empty(), "placeholders differ in {differ:?}");
    }

    #[test]
    fn a_phrase_is_said_in_the_language_asked_with_its_parts() {
        let refused =
            Phrase::new(|s| &s.cli.forbidden).with_phrase("what", Phrase::new(|s| &s.cli.what_backup));
        assert_eq!(
            refused.say(Strings::get(Language::Fr)),
            "seule la coordination peut faire une sauvegarde"
        );
        assert_eq!(refused.to_string(), "only a supervisor can take a backup");
    }

    #[test]
    fn a_weak_passphrase_is_explained_in_our_words_never_in_zxcvbns() {
        use crate::domain::passphrase::check_passphrase;
        let fr = Strings::get(Language::Fr);
        let en = Strings::get(Language::En);
        for passphrase in ["aaaaaaaaaaab", "abababababab", "1234567890123", "motdepasse12345"] {
            let weak = check_passphrase(passphrase, "ana", "Ana").unwrap_err();
            let text = fr.weak_passphrase(&weak);
            assert!(text.starts_with("Phrase de passe trop facile à deviner : elle "), "{text}");
            assert!(text.ends_with("aident peu."), "{text}");
            let english = zxcvbn::zxcvbn(passphrase, &[]).feedback().expect("weak").to_string();
            for sentence in english.split(". ").filter(|s| !s.is_empty()) {
                assert!(!text.contains(sentence.trim_end_matches('.')), "{text} quotes {sentence}");
            }
            assert!(en.weak_passphrase(&weak).starts_with("This passphrase is too easy to guess: it "));
        }
        assert_eq!(
            fr.weak_passphrase(&check_passphrase("court", "ana", "Ana").unwrap_err()),
            "La phrase de passe doit compter au moins 12 caractères : quelques mots font l'affaire."
        );
    }

    #[test]
    fn templates_are_filled() {
        let s = Strings::get(Language::Fr);
        assert_eq!(s.fill("{a} et {b}", &[("a", "un"), ("b", "deux")]), "un et deux");
    }
}
