//! The passphrase policy applied wherever a passphrase is chosen (init, a new account, a
//! change or a reset, in the terminal and on the command line), and the wait after wrong ones.
//!
//! The passphrase is the only thing between a stolen laptop and caller data once the
//! attacker has the file: Argon2id slows each guess, this keeps the guesses from being few.
//! Strength is estimated with zxcvbn (patterns, keyboard walks, repeats, sequences, dates, its
//! English dictionaries) to which we add French words, the association's own words and the
//! account's login and name (`assets/passphrase_words.fr.txt`). zxcvbn's feedback is English:
//! it is turned into our own [`Weakness`]es, which `i18n` words in the interface's language.

use super::stored_enum;

pub const MIN_CHARS: usize = 12;

/// zxcvbn's highest score: at least 10^10 guesses. Argon2id (64 MiB) makes a guess cost about
/// a quarter of a second of one core; a graphics card does a few hundred to a few thousand a
/// second, so 10^10 is months of a hundred cards, while 10^8 (score 3) is a day of one. Score 3
/// would also take any three parts (zxcvbn adds 10^4 guesses per part), e.g. "bonjoursoleil1".
const MIN_SCORE: zxcvbn::Score = zxcvbn::Score::Four;

/// zxcvbn looks at the first 100 characters; what follows can only make a passphrase stronger.
const EVALUATED_CHARS: usize = 100;

/// The passwords French speakers pick first (motdepasse, azerty, doudou…), then common words,
/// the helpline's vocabulary and first names: what a guesser tries first, in that order (the
/// order is the rank zxcvbn weighs a word by).
const FRENCH_PASSWORDS: &str = include_str!("../../assets/passphrase_passwords.fr.txt");
const FRENCH_WORDS: &str = include_str!("../../assets/passphrase_words.fr.txt");

stored_enum! {
    /// What makes a passphrase easy to guess, in our words (never zxcvbn's English sentences).
    Weakness {
        /// The account's own login or name, or part of it.
        OwnName = "own_name",
        /// Among the passwords people pick most, or close to one.
        CommonPassword = "common_password",
        /// A common word (French or English) on its own or with little added.
        CommonWord = "common_word",
        /// A first name or a surname.
        Name = "name",
        /// Keys next to one another: azerty, qsdf…
        KeyboardPattern = "keyboard_pattern",
        /// One character, or a group of characters, repeated.
        Repeats = "repeats",
        /// abcd, 1234, 9876…
        Sequence = "sequence",
        /// A year or a date.
        DateOrYear = "date_or_year",
        /// l33t substitutions (p4ss, m0t), a reversed word, capitals: guessers try them all.
        PredictableChanges = "predictable_changes",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassphrase {
    #[error("the passphrase needs at least {MIN_CHARS} characters")]
    TooShort,
    #[error("the passphrase must not contain the login")]
    ContainsLogin,
    /// Too easy to guess, with why (most telling first; may be empty).
    #[error("the passphrase is too easy to guess")]
    Guessable(Vec<Weakness>),
}

/// Checks a passphrase chosen for the account `login` shown as `display_name`.
pub fn check_passphrase(passphrase: &str, login: &str, display_name: &str) -> Result<(), WeakPassphrase> {
    if passphrase.chars().count() < MIN_CHARS {
        return Err(WeakPassphrase::TooShort);
    }
    let folded = fold(passphrase);
    if !login.is_empty() && folded.contains(&fold(login)) {
        return Err(WeakPassphrase::ContainsLogin);
    }
    let personal = personal_words(login, display_name);
    // A word given twice would keep its later, larger rank: the account's own words go first.
    let mut inputs: Vec<&str> = personal.iter().map(String::as_str).collect();
    let mut ranks = Ranks { personal: inputs.len(), passwords: inputs.len() };
    for (list, is_passwords) in [(FRENCH_PASSWORDS, true), (FRENCH_WORDS, false)] {
        for word in words(list).filter(|word| !personal.iter().any(|p| p == word)) {
            inputs.push(word);
            if is_passwords {
                ranks.passwords = inputs.len();
            }
        }
    }
    let evaluated: String = folded.chars().take(EVALUATED_CHARS).collect();
    let estimate = zxcvbn::zxcvbn(&evaluated, &inputs);
    if estimate.score() >= MIN_SCORE {
        return Ok(());
    }
    Err(WeakPassphrase::Guessable(weaknesses(&estimate, ranks, &personal)))
}

/// Lower case without accents: "Écoutant" and "ecoutant" are the same guess, and the word
/// list is written without accents.
fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => folded.push('a'),
            'é' | 'è' | 'ê' | 'ë' => folded.push('e'),
            'î' | 'ï' | 'í' | 'ì' => folded.push('i'),
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => folded.push('o'),
            'ù' | 'û' | 'ü' | 'ú' => folded.push('u'),
            'ÿ' => folded.push('y'),
            'ç' => folded.push('c'),
            'ñ' => folded.push('n'),
            'œ' => folded.push_str("oe"),
            'æ' => folded.push_str("ae"),
            c => folded.push(c),
        }
    }
    folded
}

/// The login, the display name and each part of it, folded: ranked before every other word.
fn personal_words(login: &str, display_name: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let name = fold(display_name);
    let parts = name.split(|c: char| !c.is_alphanumeric()).filter(|p| p.chars().count() >= 3);
    for word in
        [fold(login), name.split_whitespace().collect::<String>()].into_iter().chain(parts.map(str::to_owned))
    {
        if !word.is_empty() && !words.contains(&word) {
            words.push(word);
        }
    }
    words
}

fn words(list: &'static str) -> impl Iterator<Item = &'static str> {
    list.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#'))
}

/// Where each part of zxcvbn's user inputs ends: the account's own words rank first, then
/// the common passwords, then the other words.
#[derive(Clone, Copy)]
struct Ranks {
    personal: usize,
    passwords: usize,
}

/// zxcvbn's analysis in our words: its warning first, then what each part of the passphrase
/// was taken for, then its suggestions that name a weakness. `personal` are the account's own
/// words.
fn weaknesses(estimate: &zxcvbn::Entropy, ranks: Ranks, personal: &[String]) -> Vec<Weakness> {
    use zxcvbn::feedback::{Suggestion, Warning};
    use zxcvbn::matching::patterns::MatchPattern;
    let mut found = Vec::new();
    let mut add = |weakness: Weakness| {
        if !found.contains(&weakness) {
            found.push(weakness);
        }
    };
    let feedback = estimate.feedback();
    if let Some(warning) = feedback.and_then(|f| f.warning()) {
        add(match warning {
            Warning::StraightRowsOfKeysAreEasyToGuess | Warning::ShortKeyboardPatternsAreEasyToGuess => {
                Weakness::KeyboardPattern
            }
            Warning::RepeatsLikeAaaAreEasyToGuess
            | Warning::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess => Weakness::Repeats,
            Warning::ThisIsATop10Password
            | Warning::ThisIsATop100Password
            | Warning::ThisIsACommonPassword
            | Warning::ThisIsSimilarToACommonlyUsedPassword => Weakness::CommonPassword,
            Warning::SequencesLikeAbcAreEasyToGuess
                if estimate.sequence().iter().all(|part| mostly_one_character(&part.token)) =>
            {
                Weakness::Repeats
            }
            Warning::SequencesLikeAbcAreEasyToGuess => Weakness::Sequence,
            Warning::RecentYearsAreEasyToGuess | Warning::DatesAreOftenEasyToGuess => Weakness::DateOrYear,
            Warning::AWordByItselfIsEasyToGuess => Weakness::CommonWord,
            Warning::NamesAndSurnamesByThemselvesAreEasyToGuess
            | Warning::CommonNamesAndSurnamesAreEasyToGuess => Weakness::Name,
        });
    }
    for part in estimate.sequence() {
        match &part.pattern {
            // zxcvbn does not export the dictionary's type, only its name.
            // Her own name is her own name, even where zxcvbn found it among English first names.
            MatchPattern::Dictionary(word) if personal.contains(&word.matched_word) => add(Weakness::OwnName),
            MatchPattern::Dictionary(word) => add(match format!("{:?}", word.dictionary_name).as_str() {
                "UserInputs" if word.rank <= ranks.personal => Weakness::OwnName,
                "UserInputs" if word.rank <= ranks.passwords => Weakness::CommonPassword,
                "Passwords" => Weakness::CommonPassword,
                "FemaleNames" | "MaleNames" | "Surnames" => Weakness::Name,
                _ => Weakness::CommonWord,
            }),
            MatchPattern::Spatial(_) => add(Weakness::KeyboardPattern),
            MatchPattern::Repeat(_) => add(Weakness::Repeats),
            // "aaaaaaaaaaab" is a sequence to zxcvbn (steps of 0, then 1); a person sees a repeat.
            MatchPattern::Sequence(_) if mostly_one_character(&part.token) => add(Weakness::Repeats),
            MatchPattern::Sequence(_) => add(Weakness::Sequence),
            MatchPattern::Date(_) => add(Weakness::DateOrYear),
            MatchPattern::Regex(regex) if regex.regex_name == "recent_year" => add(Weakness::DateOrYear),
            _ => {}
        }
    }
    for suggestion in feedback.map(|f| f.suggestions()).unwrap_or_default() {
        if matches!(
            suggestion,
            Suggestion::CapitalizationDoesntHelpVeryMuch
                | Suggestion::AllUppercaseIsAlmostAsEasyToGuessAsAllLowercase
                | Suggestion::ReversedWordsArentMuchHarderToGuess
                | Suggestion::PredictableSubstitutionsDontHelpVeryMuch
        ) {
            add(Weakness::PredictableChanges);
        }
    }
    found
}

/// Whether one character makes most of `token`.
fn mostly_one_character(token: &str) -> bool {
    let total = token.chars().count();
    token.chars().any(|c| token.chars().filter(|d| *d == c).count() * 4 >= total * 3)
}

/// Wrong passphrases allowed before each further try has to wait.
pub const FREE_ATTEMPTS: u32 = 3;
const MAX_WAIT_SECONDS: i64 = 300;

/// How long the next try waits after `failures` wrong passphrases in a row: nothing for the
/// first two, then 5 s, 10 s, 20 s… up to 5 minutes, which makes guessing by hand useless.
pub fn wait_after(failures: u32) -> Option<chrono::Duration> {
    (failures >= FREE_ATTEMPTS).then(|| {
        let exponent = (failures - FREE_ATTEMPTS).min(16);
        chrono::Duration::seconds((5i64 << exponent).min(MAX_WAIT_SECONDS))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guessable(passphrase: &str) -> Vec<Weakness> {
        match check_passphrase(passphrase, "ana", "Ana Martin") {
            Err(WeakPassphrase::Guessable(why)) => why,
            other => panic!("{passphrase:?} should be too easy to guess: {other:?}"),
        }
    }

    #[test]
    fn length_and_login_come_first() {
        assert_eq!(check_passphrase("court", "ana", "Ana"), Err(WeakPassphrase::TooShort));
        // Counted in characters, not bytes.
        assert_eq!(check_passphrase("éééééééé", "ana", "Ana"), Err(WeakPassphrase::TooShort));
        assert_eq!(
            check_passphrase("camille-est-la-ce-soir", "camille", "Camille"),
            Err(WeakPassphrase::ContainsLogin)
        );
    }

    #[test]
    fn the_easy_guesses_of_the_issue_are_refused_with_why() {
        // zxcvbn may read a part two ways at equal cost (its tables are hash maps), so each
        // reason is looked for, not its place.
        assert!(guessable("aaaaaaaaaaab").contains(&Weakness::Repeats));
        assert!(guessable("abababababab").contains(&Weakness::Repeats));
        // "123456789" is both a sequence and among the most used passwords.
        let digits = guessable("1234567890123");
        assert!(digits.contains(&Weakness::Sequence) || digits.contains(&Weakness::CommonPassword));
        assert!(guessable("motdepasse12345").contains(&Weakness::CommonPassword));
        assert!(guessable("zzzzzzzzzzzzzz").contains(&Weakness::Repeats));
        assert!(guessable("bonjoursoleil1").contains(&Weakness::CommonPassword), "score 3 is not enough");
        assert!(guessable("MotDePasse123").contains(&Weakness::CommonPassword));
        assert!(guessable("azertyuiop123").contains(&Weakness::CommonPassword));
    }

    #[test]
    fn french_words_and_the_associations_own_are_known() {
        // Each of these passes on zxcvbn's English dictionaries alone.
        for passphrase in ["ecoutantpermanence", "Écoutante2024!", "bonjoursoleil1", "jetaimemamour"] {
            let why = guessable(passphrase);
            assert!(
                why.contains(&Weakness::CommonWord) || why.contains(&Weakness::CommonPassword),
                "{passphrase}: {why:?}"
            );
        }
    }

    #[test]
    fn the_accounts_own_name_is_a_weakness_of_its_own() {
        let why = match check_passphrase("martin-ana-2024", "amartin", "Ana Martin") {
            Err(WeakPassphrase::Guessable(why)) => why,
            other => panic!("{other:?}"),
        };
        assert!(why.contains(&Weakness::OwnName), "{why:?}");
    }

    #[test]
    fn long_passphrases_of_unrelated_words_pass() {
        for passphrase in [
            "trois pommes vertes sous la pluie",
            "lune verte soixante",
            "Le chat de Marguerite lit Proust le mardi",
            "cornichon-valise-ardoise-tambour",
        ] {
            assert_eq!(check_passphrase(passphrase, "ana", "Ana Martin"), Ok(()), "{passphrase}");
        }
    }

    #[test]
    fn generated_diceware_like_passphrases_pass() {
        use rand::{Rng, SeedableRng};
        // Drawn from the very words the estimator knows (the worst case for them).
        let words: Vec<&str> =
            words(FRENCH_PASSWORDS).chain(words(FRENCH_WORDS)).filter(|w| w.len() >= 4).collect();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(16);
        for _ in 0..200 {
            let count = rng.gen_range(4..=6);
            let separator = ["-", " ", ".", ""][rng.gen_range(0..4)];
            let chosen: Vec<&str> = (0..count).map(|_| words[rng.gen_range(0..words.len())]).collect();
            let passphrase = chosen.join(separator);
            if passphrase.chars().count() < MIN_CHARS {
                continue;
            }
            assert_eq!(check_passphrase(&passphrase, "amartin", "Ana Martin"), Ok(()), "{passphrase}");
        }
    }

    #[test]
    fn the_word_list_is_folded_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for word in words(FRENCH_PASSWORDS).chain(words(FRENCH_WORDS)) {
            assert_eq!(word, fold(word), "written folded");
            assert!(seen.insert(word), "{word} twice");
        }
        assert!(seen.len() > 400, "{} words", seen.len());
    }
}
