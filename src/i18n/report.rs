//! The `[report]` table: the words of the yearly activity report, handed whole to its
//! template (`assets/report.html.j2`).

use serde::{Deserialize, Serialize};

macro_rules! report_strings {
    ($($field:ident),+ $(,)?) => {
        /// The yearly activity report's words.
        #[derive(Debug, Deserialize, Serialize)]
        #[serde(deny_unknown_fields)]
        pub struct ReportStrings {
            $(pub $field: String,)+
        }
    };
}

report_strings!(
    lang,
    title,
    subtitle,
    generated,
    contents,
    overview,
    figure,
    change,
    calls,
    calls_per_day,
    listening_hours,
    shifts,
    coverage,
    coverage_unknown,
    median_length,
    p90_length,
    mean_length,
    files_opened,
    files_closed,
    emergency_numbers_given,
    months_chart,
    when,
    heat_chart,
    heat_note,
    weekdays,
    months,
    lengths,
    lengths_chart,
    length_bars,
    call_type,
    all_types,
    themes,
    themes_note,
    theme,
    total,
    who,
    age,
    gender,
    relation,
    under_25,
    unknown,
    share,
    rud,
    rud_axis,
    prompts,
    number,
    outcome,
    waiting,
    callbacks,
    callbacks_created,
    callbacks_done,
    callbacks_cancelled,
    callbacks_pending,
    callbacks_overdue,
    callbacks_flagged,
    first_attempt_median,
    first_attempt_p90,
    methods,
    methods_calls,
    methods_excluded,
    methods_time,
    methods_profiles,
    methods_ages,
    methods_lengths,
    methods_callbacks,
    methods_listening,
    methods_retention,
    audit,
);
