//! Styles. High contrast by default; with `NO_COLOR` set, meaning is carried by bold,
//! reverse video and text markers only, never by colour alone.

use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::BorderType;

pub struct Theme {
    colors: bool,
}

impl Theme {
    pub fn new(colors: bool) -> Theme {
        Theme { colors }
    }

    fn fg(&self, color: Color) -> Style {
        if self.colors { Style::new().fg(color) } else { Style::new() }
    }

    pub fn border(&self, focused: bool) -> Style {
        if focused { self.fg(Color::Yellow).add_modifier(Modifier::BOLD) } else { self.fg(Color::Gray) }
    }

    /// Focus is shown by a double border as well as by colour.
    pub fn border_type(&self, focused: bool) -> BorderType {
        if focused { BorderType::Double } else { BorderType::Plain }
    }

    pub fn pane_title(&self, focused: bool) -> Style {
        let style = Style::new().add_modifier(Modifier::BOLD);
        if focused { style.add_modifier(Modifier::REVERSED) } else { style }
    }

    pub fn tab(&self, focused: bool) -> Style {
        if focused { Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED) } else { Style::new() }
    }

    pub fn title(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn label(&self) -> Style {
        self.fg(Color::Cyan)
    }

    pub fn muted(&self) -> Style {
        if self.colors { Style::new().fg(Color::Gray) } else { Style::new().add_modifier(Modifier::DIM) }
    }

    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }

    /// Life-risk numbers, overdue callbacks: red and bold, or reverse and bold without colour.
    pub fn danger(&self) -> Style {
        if self.colors {
            Style::new().fg(Color::White).bg(Color::Red).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED)
        }
    }

    pub fn emergency_number(&self) -> Style {
        self.fg(Color::LightRed).add_modifier(Modifier::BOLD)
    }

    pub fn warning(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }

    /// Instructions for listeners: shown prominently.
    pub fn instructions(&self) -> Style {
        self.fg(Color::LightYellow).add_modifier(Modifier::BOLD)
    }
}
