//! Word search on the server without the server reading words: a keyed blind index.
//!
//! The file searches its text with FTS5 (`unicode61 remove_diacritics 2`: words are runs of
//! letters and digits, lower-cased, accents removed; each query word of at least three letters
//! is a prefix, and a row matches when every query word is the start of one of its words). The
//! server gets, for each row, the set of HMAC-SHA256 tags (16 bytes, under a key derived from
//! the data key) of every prefix of three to `MAX_PREFIX` letters of every word of its text,
//! folded the same way; a query asks for the rows whose tags contain all of its words' tags
//! (`search_tags @> …`, GIN-indexed). A query word longer than `MAX_PREFIX` is looked up by its
//! first `MAX_PREFIX` letters, and the rows found are checked in the terminal after opening
//! their text (`matches`), so the server's answer is exactly the file's.
//!
//! What the index tells the server: equal word starts give equal tags, so it sees which rows
//! share a word (or a word's first letters), how many distinct word starts a row holds, and,
//! over many searches, which tags are asked for together; with outside knowledge (the
//! frequency of French words) a patient administrator could guess common words. It never
//! holds a word, a letter or a tag it could compute itself without the data key.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use zeroize::Zeroizing;

use super::db::Db;
use super::error::StoreResult;
use super::keyslots::DataKey;
use crate::db_params;

/// Words shorter than this are not searched (as in the file, `caller_files::MIN_WORD`).
pub const MIN_WORD: usize = 3;
/// Longer prefixes are not indexed: they cost room and tell the server more.
pub const MAX_PREFIX: usize = 12;
const TAG_LEN: usize = 16;

/// The index key, derived from the data key.
pub struct BlindIndex(Zeroizing<[u8; 32]>);

impl BlindIndex {
    pub fn new(key: &DataKey) -> BlindIndex {
        BlindIndex(super::seal::derive(key, b"permanence blind index v1"))
    }

    fn tag(&self, prefix: &str) -> Vec<u8> {
        permanence_fieldcrypto::hmac_sha256(self.0.as_slice(), prefix.as_bytes())[..TAG_LEN].to_vec()
    }

    /// The tags of a row whose text is `texts` (a file's summary and instructions together),
    /// sorted and without repeats.
    pub fn row_tags(&self, texts: &[&str]) -> Vec<Vec<u8>> {
        let mut tags: Vec<Vec<u8>> = texts
            .iter()
            .flat_map(|text| words(text))
            .flat_map(|word| {
                let letters: Vec<char> = word.chars().collect();
                (MIN_WORD..=letters.len().min(MAX_PREFIX))
                    .map(|n| letters[..n].iter().collect::<String>())
                    .collect::<Vec<_>>()
            })
            .map(|prefix| self.tag(&prefix))
            .collect();
        tags.sort();
        tags.dedup();
        tags
    }

    /// The tags a row must hold to match `query`; `None` when it has no word to search.
    pub fn query_tags(&self, query: &str) -> Option<Vec<Vec<u8>>> {
        let words = query_words(query);
        if words.is_empty() {
            return None;
        }
        let mut tags: Vec<Vec<u8>> =
            words.iter().map(|w| self.tag(&w.chars().take(MAX_PREFIX).collect::<String>())).collect();
        tags.sort();
        tags.dedup();
        Some(tags)
    }
}

/// Gives a call's row its tags, on the server (the file's FTS5 follows its table by itself).
/// In the write transaction that wrote its notes.
pub(super) fn index_call(db: &Db, id: i64, notes: &str) -> StoreResult<()> {
    if let Some(tags) = db.search_tags(&[notes])? {
        db.execute("UPDATE call SET search_tags = ?2 WHERE id = ?1", db_params![id, tags])?;
    }
    Ok(())
}

/// The same for a file's summary and instructions, which are searched together.
pub(super) fn index_file(db: &Db, id: i64, summary: &str, instructions: &str) -> StoreResult<()> {
    if let Some(tags) = db.search_tags(&[summary, instructions])? {
        db.execute("UPDATE caller_file SET search_tags = ?2 WHERE id = ?1", db_params![id, tags])?;
    }
    Ok(())
}

/// Lower case, accents removed, as FTS5's `unicode61 remove_diacritics 2`.
pub fn fold(word: &str) -> String {
    word.nfd().filter(|c| !is_combining_mark(*c)).flat_map(char::to_lowercase).collect()
}

/// The folded words of a text.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(fold)
}

/// The folded words of a query that are searched (at least `MIN_WORD` letters, as typed).
pub fn query_words(query: &str) -> Vec<String> {
    query.split(|c: char| !c.is_alphanumeric()).filter(|w| w.chars().count() >= MIN_WORD).map(fold).collect()
}

/// Whether every word of `query` starts a word of `texts`: the check, in the terminal, of the
/// rows the server found by their tags.
pub fn matches(query: &str, texts: &[&str]) -> bool {
    let found: Vec<String> = texts.iter().flat_map(|t| words(t)).collect();
    query_words(query).iter().all(|q| found.iter().any(|w| w.starts_with(q.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Synthetic notes, with accents, capitals, ligatures, apostrophes and long words.
    const ROWS: &[&str] = &[
        "Appel de soutien : elle se sent très isolée depuis le déménagement.",
        "ÉCOUTE active, idées noires évoquées ; orientation vers le 3114.",
        "Il parle de son cœur brisé et de l'hôpital de jour.",
        "Accompagnement régulier, la sœur l'appelle chaque soir.",
        "Rappel prévu : situation stable, sommeil amélioré.",
        "Violences conjugales, hébergement d'urgence évoqué avec le 3919.",
        "Ne souhaite pas de rappel. Remercie l'écoutant.",
        "inquiétude pour sa fille, harcèlement scolaire (3018)",
        "anticonstitutionnellement long mot pour tester les préfixes",
    ];

    const QUERIES: &[&str] = &[
        "ecoute",
        "écou",
        "ÉCOU",
        "isol",
        "isolee",
        "rappel",
        "rap",
        "ra",
        "hopital",
        "hôp",
        "coeur",
        "cœur",
        "sœur",
        "soeur",
        "3114",
        "311",
        "violence urgence",
        "viol urg",
        "demenag",
        "déménagement",
        "idées noires",
        "harcelement scol",
        "accompagnements",
        "accompagnement",
        "anticonstitutionnel",
        "anticonstitutionnellement",
        "anticonstitutionnelles",
        "l'hôpital",
        "xyz",
        "   ",
        "d'urgence soir",
    ];

    /// What FTS5 itself finds, configured as the file's index (migrations/002_search.sql).
    fn fts5_matches(query: &str) -> Option<Vec<usize>> {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE VIRTUAL TABLE t USING fts5(body, tokenize = 'unicode61 remove_diacritics 2', prefix = '3')")
            .unwrap();
        for (i, row) in ROWS.iter().enumerate() {
            conn.execute("INSERT INTO t (rowid, body) VALUES (?1, ?2)", rusqlite::params![i as i64, row])
                .unwrap();
        }
        // The file's own query builder: each word of 3 letters or more as a quoted prefix.
        let words: Vec<String> = query
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= MIN_WORD)
            .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
            .collect();
        if words.is_empty() {
            return None;
        }
        let mut statement = conn.prepare("SELECT rowid FROM t WHERE t MATCH ?1 ORDER BY rowid").unwrap();
        let found = statement
            .query_map([words.join(" ")], |row| row.get::<_, i64>(0))
            .unwrap()
            .map(|r| r.unwrap() as usize)
            .collect();
        Some(found)
    }

    #[test]
    fn the_blind_index_finds_what_fts5_finds_accents_folded_both_ways() {
        let index = BlindIndex::new(&DataKey::generate().unwrap());
        let tags: Vec<Vec<Vec<u8>>> = ROWS.iter().map(|row| index.row_tags(&[row])).collect();
        for query in QUERIES {
            let expected = fts5_matches(query);
            let found = index.query_tags(query).map(|wanted| {
                (0..ROWS.len())
                    // What the server answers: the rows holding every tag…
                    .filter(|&i| wanted.iter().all(|t| tags[i].binary_search(t).is_ok()))
                    // …then checked in the terminal on the opened text.
                    .filter(|&i| matches(query, &[ROWS[i]]))
                    .collect::<Vec<usize>>()
            });
            assert_eq!(found, expected, "{query:?}");
        }
        // Something is found at all, by prefix and across accents.
        assert_eq!(fts5_matches("ecou").unwrap(), [1, 6]);
    }

    #[test]
    fn tags_are_keyed_and_hold_no_word() {
        let key_a = BlindIndex::new(&DataKey::generate().unwrap());
        let key_b = BlindIndex::new(&DataKey::generate().unwrap());
        let a = key_a.row_tags(&["hospitalisation"]);
        assert_eq!(a.len(), MAX_PREFIX - MIN_WORD + 1, "one tag per indexed prefix");
        assert!(a.iter().all(|t| t.len() == TAG_LEN && !t.windows(3).any(|w| w == b"hos")));
        assert!(
            key_b.row_tags(&["hospitalisation"]).iter().all(|t| !a.contains(t)),
            "another key, other tags"
        );
        assert_eq!(key_a.row_tags(&["Hospitalisation", "hospitalisation"]), a, "folded, without repeats");
        assert_eq!(key_a.query_tags("ho"), None);
    }
}
