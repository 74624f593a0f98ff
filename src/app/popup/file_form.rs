//! Editing a file's profile (status, age band, gender, who calls, département, summary,
//! instructions), made on the version it was filled from; it stays open until the store
//! confirms, so a refused change loses nothing typed.

use ratatui::crossterm::event::KeyEvent;

use super::{Behaviour, Ctx, Outcome, cycle, step, type_into};
use crate::app::effect::{Effect, FileChange, Reply};
use crate::domain::FileId;
use crate::domain::caller_file::{
    AgeBand, CallerFile, CallerRelation, Departement, FileCode, FileProfile, FileStatus, Gender,
};
use crate::keymap::Action;

/// The file form's lines, in order.
pub const FILE_FORM_FIELDS: usize = 7;

#[derive(Debug, Clone)]
pub struct FileForm {
    pub id: FileId,
    pub code: FileCode,
    /// The file's version when the form was filled from it: the edit is made on it.
    pub version: i64,
    /// 0 status, 1 age band, 2 gender, 3 relation, 4 département, 5 summary, 6 instructions.
    pub field: usize,
    pub status: FileStatus,
    pub age_band: Option<AgeBand>,
    pub gender: Option<Gender>,
    pub relation: Option<CallerRelation>,
    pub departement: String,
    pub summary: String,
    pub instructions: String,
    pub error: Option<String>,
}

impl FileForm {
    pub fn of(file: &CallerFile) -> FileForm {
        let profile = &file.profile;
        FileForm {
            id: file.id,
            code: file.code.clone(),
            version: file.version,
            field: 0,
            status: file.status,
            age_band: profile.age_band,
            gender: profile.gender,
            relation: profile.relation,
            departement: profile.departement.as_ref().map(|d| d.as_str().to_owned()).unwrap_or_default(),
            summary: profile.situation_summary.clone(),
            instructions: profile.instructions.clone(),
            error: None,
        }
    }

    /// The text line being typed in, if the field is one.
    pub fn text_mut(&mut self) -> Option<&mut String> {
        match self.field {
            4 => Some(&mut self.departement),
            5 => Some(&mut self.summary),
            6 => Some(&mut self.instructions),
            _ => None,
        }
    }

    fn choose(&mut self, forward: bool) {
        match self.field {
            // A closed file is reopened with its reason, not from here.
            0 if self.status != FileStatus::Closed => {
                self.status = match self.status {
                    FileStatus::Open => FileStatus::FollowUp,
                    _ => FileStatus::Open,
                }
            }
            // A band of older files is not offered: the choice moves on from the nearest one.
            1 => {
                self.age_band = cycle(AgeBand::OFFERED, self.age_band.map(AgeBand::nearest_offered), forward)
            }
            2 => self.gender = cycle(Gender::ALL, self.gender, forward),
            3 => self.relation = cycle(CallerRelation::ALL, self.relation, forward),
            _ => {}
        }
    }

    fn submit(&mut self, cx: &Ctx) -> Outcome {
        let s = cx.strings;
        let departement = self.departement.trim();
        let departement = if departement.is_empty() {
            None
        } else {
            match Departement::parse(departement) {
                Ok(d) => Some(d),
                Err(_) => {
                    self.error = Some(s.fill(&s.file_bad_departement, &[("value", departement)]));
                    return Outcome::stay();
                }
            }
        };
        let profile = FileProfile {
            age_band: self.age_band,
            gender: self.gender,
            departement,
            relation: self.relation,
            situation_summary: self.summary.trim().to_owned(),
            instructions: self.instructions.trim().to_owned(),
        };
        // A closed file is reopened with a reason, never from its form.
        let status = Some(self.status).filter(|s| *s != FileStatus::Closed);
        Outcome::effect(Effect::ChangeFile(FileChange::Profile {
            id: self.id,
            version: self.version,
            status,
            profile,
        }))
    }
}

impl Behaviour for FileForm {
    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx) -> Outcome {
        self.error = None;
        if let Some(text) = self.text_mut()
            && type_into(text, key)
        {
            return Outcome::stay();
        }
        match cx.action(key) {
            Some(Action::SelectPrevious | Action::PreviousField) => {
                self.field = step(self.field, FILE_FORM_FIELDS, false)
            }
            Some(Action::SelectNext | Action::NextField) => {
                self.field = step(self.field, FILE_FORM_FIELDS, true)
            }
            Some(Action::ChoicePrevious) => self.choose(false),
            Some(Action::ChoiceNext) => self.choose(true),
            Some(Action::Cancel) => return Outcome::close(),
            Some(Action::Confirm) => return self.submit(cx),
            _ => {}
        }
        Outcome::stay()
    }

    fn on_reply(&mut self, reply: &Reply, cx: &mut Ctx) -> Outcome {
        match reply {
            Reply::FileChanged(_) => Outcome::close(),
            // Made on an old version: saving again is refused until it is reopened from the
            // file as it is now; what was typed stays.
            Reply::FileConflict(_) => {
                self.error = Some(cx.strings.file_changed_meanwhile.clone());
                Outcome::stay()
            }
            _ => Outcome::stay(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file given 40–59 before today's bands: one key moves it beside 45–64, not to
    /// "under 18" or "75 and over".
    #[test]
    fn a_band_of_older_files_moves_on_from_the_nearest_offered_one() {
        let mut form = FileForm {
            id: FileId(1),
            code: FileCode::generate(&mut rand::thread_rng()),
            version: 1,
            field: 1,
            status: FileStatus::Open,
            age_band: Some(AgeBand::From40To59),
            gender: None,
            relation: None,
            departement: String::new(),
            summary: String::new(),
            instructions: String::new(),
            error: None,
        };
        form.choose(true);
        assert_eq!(form.age_band, Some(AgeBand::From65To74));
        form.age_band = Some(AgeBand::From40To59);
        form.choose(false);
        assert_eq!(form.age_band, Some(AgeBand::From25To44));
        form.age_band = Some(AgeBand::From25To39);
        form.choose(false);
        assert_eq!(form.age_band, Some(AgeBand::From18To24));
        form.age_band = Some(AgeBand::From60To74);
        form.choose(true);
        assert_eq!(form.age_band, Some(AgeBand::From75));
    }
}
