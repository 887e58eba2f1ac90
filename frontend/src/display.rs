//! The display and the keyboard: a day or night display, and the app-wide shortcuts with the
//! list that shows them (`?` or F1).
//!
//! The display chosen is the one thing the frontend keeps in webview storage: a setting of this
//! device, not officer data (which stays in the encrypted store, see `main.rs`).

use yew::prelude::*;

/// The key the display chosen is kept under, in the webview's local storage.
pub(crate) const THEME_KEY: &str = "bluelamp.theme";

/// Night (the default: a dark screen in a car at night) or day (dark text on light, for a
/// bright room or daylight through a windscreen).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Theme {
    Night,
    Day,
}

impl Theme {
    /// What was stored; anything else (nothing, an old or unknown value) is night.
    pub(crate) fn parse(stored: Option<&str>) -> Theme {
        match stored {
            Some("day") => Theme::Day,
            _ => Theme::Night,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Theme::Night => "night",
            Theme::Day => "day",
        }
    }

    pub(crate) fn other(self) -> Theme {
        match self {
            Theme::Night => Theme::Day,
            Theme::Day => Theme::Night,
        }
    }

    /// The button's words: what pressing it changes to.
    pub(crate) fn switch_label(self) -> &'static str {
        match self {
            Theme::Night => "Day display",
            Theme::Day => "Night display",
        }
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// The display this device last chose.
pub(crate) fn stored_theme() -> Theme {
    Theme::parse(storage().and_then(|s| s.get_item(THEME_KEY).ok().flatten()).as_deref())
}

/// Shows `theme` (the page's `data-theme`, which the stylesheet reads) and keeps it for the
/// next start. A storage that cannot be written (full, or refused) only loses the keeping.
pub(crate) fn apply(theme: Theme) {
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("data-theme", theme.as_str());
    }
    if let Some(s) = storage() {
        let _ = s.set_item(THEME_KEY, theme.as_str());
    }
}

/// What a key press asks of the whole app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shortcut {
    /// Ctrl+L: lock now.
    Lock,
    /// Alt+1 … Alt+9: the n-th tab shown (0-based).
    Tab(usize),
    /// `/`: to the search box.
    Search,
    /// `?` or F1: the list of shortcuts.
    Keys,
    /// Esc: close the list.
    Close,
}

/// A key press, as [`shortcut`] needs it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Press<'a> {
    /// `KeyboardEvent.key`.
    pub key: &'a str,
    /// `KeyboardEvent.code` (the key's place: `Digit2` whatever the layout makes of Alt+2).
    pub code: &'a str,
    pub ctrl: bool,
    pub alt: bool,
    pub meta: bool,
    /// The focus is in a box that takes text (`/` and `?` are then typed, not shortcuts).
    pub typing: bool,
}

/// The shortcut a key press is, if any.
pub(crate) fn shortcut(p: Press) -> Option<Shortcut> {
    let plain = !p.ctrl && !p.alt && !p.meta;
    if p.ctrl && !p.alt && !p.meta && p.key.eq_ignore_ascii_case("l") {
        return Some(Shortcut::Lock);
    }
    // Alt and a digit of the main row (not the keypad: Alt and keypad digits type a character
    // on Windows, Alt+0233 for é). In a text box only when Alt typed nothing else: on a Mac,
    // Option+3 types # and Option+2 € on a UK layout, and those must reach the box.
    if p.alt && !p.ctrl && !p.meta {
        let place = p.code.strip_prefix("Digit").and_then(|d| d.parse::<usize>().ok());
        let typed_digit = p.key.parse::<usize>().ok();
        let digit = if p.typing { place.filter(|n| typed_digit == Some(*n)) } else { place };
        if let Some(n @ 1..=9) = digit {
            return Some(Shortcut::Tab(n - 1));
        }
    }
    match p.key {
        "F1" if plain => Some(Shortcut::Keys),
        "Escape" if plain => Some(Shortcut::Close),
        "?" if !p.typing && !p.ctrl && !p.alt && !p.meta => Some(Shortcut::Keys),
        "/" if !p.typing && plain => Some(Shortcut::Search),
        _ => None,
    }
}

/// Whether the element with the focus takes typed text: a text box, a text area, a list, or
/// anything editable. A radio button or a checkbox does not.
pub(crate) fn takes_text(target: Option<&web_sys::Element>) -> bool {
    use wasm_bindgen::JsCast;
    let Some(el) = target else { return false };
    if let Some(input) = el.dyn_ref::<web_sys::HtmlInputElement>() {
        return !matches!(
            input.type_().as_str(),
            "radio" | "checkbox" | "button" | "submit" | "reset" | "range" | "color" | "file"
        );
    }
    let tag = el.tag_name().to_ascii_lowercase();
    tag == "textarea"
        || tag == "select"
        || el.dyn_ref::<web_sys::HtmlElement>().is_some_and(|h| h.is_content_editable())
}

#[derive(Properties, PartialEq)]
pub(crate) struct KeysProps {
    /// The tabs shown to this officer, in order (Alt+1 is the first).
    pub tabs: Vec<&'static str>,
    pub on_close: Callback<()>,
}

/// The list of shortcuts (`?`, F1, or the Keys button). Esc or Close shuts it.
#[function_component(KeysDialog)]
pub(crate) fn keys_dialog(props: &KeysProps) -> Html {
    // The list takes the focus, so that Esc and Enter reach it.
    use_effect_with((), |_| {
        crate::cases::focus_selector("#shortcuts-close");
    });
    let close = props.on_close.reform(|_: MouseEvent| ());
    let row = |keys: String, what: &str| {
        html! { <tr><th scope="row"><kbd>{ keys }</kbd></th><td>{ what.to_string() }</td></tr> }
    };
    html! {
        <div id="shortcuts" class="dialog shortcuts" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title">
            <h2 id="shortcuts-title">{"Keyboard shortcuts"}</h2>
            <table>
                <tbody>
                    { for props.tabs.iter().enumerate().map(|(i, t)| row(format!("Alt+{}", i + 1), t)) }
                    { row("/".into(), "Go to the search box") }
                    { row("Ctrl+L".into(), "Lock now (what you typed is kept)") }
                    { row("? or F1".into(), "This list") }
                    { row("Esc".into(), "Close this list; in the search box, clear the search") }
                    { row("↑ ↓ then Enter".into(), "Search results: move, then open the person") }
                    { row("PageDown / PageUp".into(), "Forms: next or previous section (also Alt+→ / Alt+←)") }
                    { row("Enter".into(), "Forms: on a choice, choose it") }
                </tbody>
            </table>
            <div class="actions">
                <button id="shortcuts-close" onclick={close}>{"Close"}</button>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(key: &'static str, code: &'static str) -> Press<'static> {
        Press { key, code, ctrl: false, alt: false, meta: false, typing: false }
    }

    #[test]
    fn shortcuts_are_read_from_the_key_and_its_modifiers() {
        let ctrl_l = Press { ctrl: true, ..press("L", "KeyL") };
        assert_eq!(shortcut(ctrl_l), Some(Shortcut::Lock));
        assert_eq!(shortcut(Press { typing: true, ..ctrl_l }), Some(Shortcut::Lock), "also while typing");
        // Alt+digit by the key's place, whatever the layout types with Alt (¡ for Alt+1 on a Mac)...
        assert_eq!(shortcut(Press { alt: true, ..press("¡", "Digit1") }), Some(Shortcut::Tab(0)));
        assert_eq!(shortcut(Press { alt: true, typing: true, ..press("3", "Digit3") }), Some(Shortcut::Tab(2)));
        // ...but a character Alt types into a box is the officer's (# and € on a Mac's UK layout),
        // and keypad digits with Alt are Windows' way to type é (Alt+0233).
        assert_eq!(shortcut(Press { alt: true, typing: true, ..press("#", "Digit3") }), None);
        assert_eq!(shortcut(Press { alt: true, typing: true, ..press("€", "Digit2") }), None);
        assert_eq!(shortcut(Press { alt: true, ..press("2", "Numpad2") }), None);
        assert_eq!(shortcut(Press { alt: true, ..press("0", "Digit0") }), None);
        assert_eq!(shortcut(Press { alt: true, ctrl: true, ..press("2", "Digit2") }), None, "AltGr is Ctrl+Alt");
        assert_eq!(shortcut(press("/", "Slash")), Some(Shortcut::Search));
        assert_eq!(shortcut(press("?", "Slash")), Some(Shortcut::Keys));
        assert_eq!(shortcut(press("F1", "F1")), Some(Shortcut::Keys));
        assert_eq!(shortcut(press("Escape", "Escape")), Some(Shortcut::Close));
        // Typed into a box, / and ? are text.
        assert_eq!(shortcut(Press { typing: true, ..press("/", "Slash") }), None);
        assert_eq!(shortcut(Press { typing: true, ..press("?", "Slash") }), None);
        assert_eq!(shortcut(press("a", "KeyA")), None);
        assert_eq!(shortcut(Press { ctrl: true, ..press("/", "Slash") }), None);
    }

    #[test]
    fn the_display_stored_is_read_back_and_anything_else_is_night() {
        assert_eq!(Theme::parse(Some("day")), Theme::Day);
        for other in [None, Some("night"), Some("Day"), Some(""), Some("sepia")] {
            assert_eq!(Theme::parse(other), Theme::Night, "{other:?}");
        }
        assert_eq!(Theme::parse(Some(Theme::Day.as_str())), Theme::Day);
        assert_eq!(Theme::Night.other(), Theme::Day);
        assert_eq!(Theme::Night.switch_label(), "Day display");
    }
}
