//! The vendor's Russian as the generated docs quote it: one line, without
//! the leftovers of the vendor's doc tool.
//!
//! What goes: `{PaymentModel}` placeholders (the type's name stays, as
//! code), links to anchors of other pages (their text stays), escaped
//! markdown (`\[\*\]`), bold, blockquote and list markers, code fences, and
//! the facets apidog writes into descriptions (`Max length:255`, `Minimum:1`,
//! `Default:`, `Allowed values (5) … hide all`). What could be read as
//! markdown or HTML (`split[*].type`, `<Authorization: Bearer {token}>`, a
//! JSON sample, a `{a}{b}` formula, a masked card number) becomes a code
//! span, so rustdoc and the command line's help show it as written.

/// One run of the result: prose, or a code span.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Code(String),
}

/// The facets apidog writes as prose, each followed by `:` and a number.
const FACETS: [&str; 4] = ["Max length", "Min length", "Minimum", "Maximum"];

/// The vendor's text cleaned to one line, or `None` when nothing is left.
pub fn clean(raw: &str) -> Option<String> {
    let raw = drop_facets(raw);
    let mut pieces: Vec<Piece> = Vec::new();
    let mut json_run: Vec<String> = Vec::new();
    let flush = |run: &mut Vec<String>, pieces: &mut Vec<Piece>| {
        if !run.is_empty() {
            pieces.push(Piece::Text(" ".into()));
            pieces.push(Piece::Code(run.join(" ")));
            pieces.push(Piece::Text(" ".into()));
            run.clear();
        }
    };
    for line in raw.lines() {
        let mut line = line.trim();
        if line.starts_with("```") {
            flush(&mut json_run, &mut pieces);
            continue;
        }
        while let Some(rest) = line.strip_prefix('>') {
            line = rest.trim_start();
        }
        if line.is_empty() {
            flush(&mut json_run, &mut pieces);
            continue;
        }
        // A line of a JSON sample (or a `{a}{b}` formula) is code.
        if line.starts_with(['{', '}', '"', '[', ']']) && !is_placeholder_line(line) && !is_link_line(line) {
            json_run.push(line.to_string());
            continue;
        }
        flush(&mut json_run, &mut pieces);
        let line = match line.strip_prefix("- ").or_else(|| line.strip_prefix("• ")) {
            Some(item) => format!("• {}", item.trim_start()),
            None => line.to_string(),
        };
        pieces.push(Piece::Text(" ".into()));
        pieces.extend(prose(&line));
    }
    flush(&mut json_run, &mut pieces);
    let mut out = String::new();
    for piece in pieces {
        match piece {
            Piece::Text(text) => out.push_str(&code_tokens(&text)),
            Piece::Code(code) => {
                let code = code.split_whitespace().collect::<Vec<_>>().join(" ");
                if !code.is_empty() {
                    out.push_str(&format!("`{}`", code.replace('`', "'")));
                }
            }
        }
    }
    let out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    let out = out.replace(" ,", ",").replace(" .", ".").replace("( ", "(").replace(" )", ")");
    let out = out.trim().trim_end_matches(',').trim().to_string();
    (!out.is_empty()).then_some(out)
}

/// A line that is only a `{PaymentModel}` placeholder reads as prose.
fn is_placeholder_line(line: &str) -> bool {
    line.strip_prefix('{').and_then(|l| l.strip_suffix('}')).is_some_and(is_type_name)
}

/// A line that starts with a markdown link reads as prose.
fn is_link_line(line: &str) -> bool {
    line.starts_with('[') && line.contains("](")
}

/// `PaymentModel`: what the vendor writes inside a placeholder.
fn is_type_name(text: &str) -> bool {
    text.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && text.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Removes `Max length:255` (also written across lines), `Default:` and the
/// `Allowed values (N)` / `hide all` frame of apidog's enum lists.
fn drop_facets(raw: &str) -> String {
    let mut text = raw.to_string();
    for facet in FACETS {
        while let Some(start) = text.find(facet) {
            let rest = &text[start + facet.len()..];
            let after_space = rest.trim_start();
            let Some(after_colon) = after_space.strip_prefix(':') else { break };
            let after_colon = after_colon.trim_start();
            let digits = after_colon.chars().take_while(char::is_ascii_digit).map(char::len_utf8).sum::<usize>();
            let end = text.len() - after_colon.len() + digits;
            text.replace_range(start..end, " ");
        }
    }
    text = text.replace("Default:", " ").replace("hide all", " ");
    while let Some(start) = text.find("Allowed values (") {
        let Some(close) = text[start..].find(')') else { break };
        text.replace_range(start..start + close + 1, "Allowed values:");
    }
    text
}

/// One line of prose: placeholders, `<…>`, `{a}{b}` formulas and links
/// resolved; bold and escapes dropped.
fn prose(line: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    let until = |from: usize, close: char| chars[from..].iter().position(|c| *c == close).map(|p| from + p);
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if i + 1 < chars.len() && "[]*_#`".contains(chars[i + 1]) => {
                text.push(chars[i + 1]);
                i += 2;
            }
            '*' => {
                // `**` around words is bold; a run in `860030******5959` is data
                let run = chars[i..].iter().take_while(|c| **c == '*').count();
                let alnum = |at: Option<&char>| at.is_some_and(|c| c.is_alphanumeric());
                let inside_word = i > 0 && alnum(chars.get(i - 1)) && alnum(chars.get(i + run));
                if run != 2 || inside_word {
                    text.extend(&chars[i..i + run]);
                }
                i += run;
            }
            '<' if until(i, '>').is_some() => {
                let end = until(i, '>').unwrap_or(i);
                pieces.push(Piece::Text(std::mem::take(&mut text)));
                pieces.push(Piece::Code(chars[i + 1..end].iter().collect()));
                i = end + 1;
            }
            '{' if until(i, '}').is_some() => {
                let mut end = until(i, '}').unwrap_or(i);
                let inner: String = chars[i + 1..end].iter().collect();
                pieces.push(Piece::Text(std::mem::take(&mut text)));
                if is_type_name(&inner) {
                    pieces.push(Piece::Code(inner));
                } else {
                    // a run of `{a}{b}{c}` is one formula
                    while chars.get(end + 1) == Some(&'{') {
                        match until(end + 1, '}') {
                            Some(next) => end = next,
                            None => break,
                        }
                    }
                    pieces.push(Piece::Code(chars[i..=end].iter().collect()));
                }
                i = end + 1;
            }
            '[' => match link(&chars, i) {
                Some((label, end)) => {
                    text.push_str(&label);
                    i = end + 1;
                }
                None => {
                    text.push(c);
                    i += 1;
                }
            },
            _ => {
                text.push(c);
                i += 1;
            }
        }
    }
    pieces.push(Piece::Text(text));
    pieces
}

/// A markdown link at `start`: its label and the index of its `)`.
fn link(chars: &[char], start: usize) -> Option<(String, usize)> {
    let close = start + chars[start..].iter().position(|c| *c == ']')?;
    if chars.get(close + 1) != Some(&'(') {
        return None;
    }
    let end = close + 1 + chars[close + 1..].iter().position(|c| *c == ')')?;
    Some((chars[start + 1..close].iter().collect(), end))
}

/// Prose with every word that markdown could misread made a code span:
/// `split[*].type`, `860030******5959`, `a|b`, a bare URL.
fn code_tokens(text: &str) -> String {
    let mut out = String::new();
    let starts_with_space = text.starts_with(char::is_whitespace);
    let ends_with_space = text.ends_with(char::is_whitespace);
    if starts_with_space {
        out.push(' ');
    }
    let words: Vec<String> = text
        .split_whitespace()
        .map(|word| {
            let core = word
                .trim_start_matches(['(', '«', '"'])
                .trim_end_matches(['.', ',', ';', ':', ')', '»', '"', '!', '?']);
            let risky = core.contains(['[', ']', '*', '|', '<', '>', '{', '}', '\\', '`'])
                || core.starts_with("http://")
                || core.starts_with("https://")
                || core.starts_with('#');
            if core.is_empty() || !risky {
                return word.to_string();
            }
            let at = word.find(core).unwrap_or(0);
            format!("{}`{}`{}", &word[..at], core.replace('`', "'"), &word[at + core.len()..])
        })
        .collect();
    out.push_str(&words.join(" "));
    if ends_with_space && !words.is_empty() {
        out.push(' ');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn placeholders_anchors_and_escapes_do_not_survive() {
        assert_eq!(
            clean("В ответе возвращается {PaymentModel}").as_deref(),
            Some("В ответе возвращается `PaymentModel`")
        );
        assert_eq!(
            clean("отправить [запрос на подтверждение платежа](#4db015c3-bf1a) с пустым телом").as_deref(),
            Some("отправить запрос на подтверждение платежа с пустым телом")
        );
        assert_eq!(
            clean("типы получателей (split\\[\\*\\].type):").as_deref(),
            Some("типы получателей (`split[*].type`):")
        );
        assert_eq!(clean("**Важно.** Текст").as_deref(), Some("Важно. Текст"));
    }

    #[test]
    fn apidog_facets_go_and_enum_lists_read() {
        assert_eq!(clean("Max length:255\nЛюбой идентификатор").as_deref(), Some("Любой идентификатор"));
        assert_eq!(clean("Max length\n\n:\n\n255\nЛюбой").as_deref(), Some("Любой"));
        assert_eq!(clean("Minimum:1\nMaximum:43200\nСрок").as_deref(), Some("Срок"));
        assert_eq!(clean("Default:\n\nПИНФЛ\n\nMax length:14").as_deref(), Some("ПИНФЛ"));
        assert_eq!(
            clean("Allowed values (3)\nactive,\ndraft,\ndeleted\n hide all").as_deref(),
            Some("Allowed values: active, draft, deleted")
        );
        assert_eq!(clean("Max length:16\n").as_deref(), None);
        assert_eq!(clean("\n").as_deref(), None);
    }

    #[test]
    fn what_markdown_would_misread_becomes_code() {
        assert_eq!(
            clean("передавать в заголовке <Authorization: Bearer {token}>").as_deref(),
            Some("передавать в заголовке `Authorization: Bearer {token}`")
        );
        assert_eq!(
            clean(
                "> sign формируется как md5-хеш от строки (без скобок):  \n{store_id}{invoice_id}{amount}{secret} \n"
            )
            .as_deref(),
            Some("sign формируется как md5-хеш от строки (без скобок): `{store_id}{invoice_id}{amount}{secret}`")
        );
        assert_eq!(
            clean("Пример:\n``` json\n{\n\"success\": false,\n\"message\": \"Нет\"\n}\n ```\nДалее").as_deref(),
            Some("Пример: `{ \"success\": false, \"message\": \"Нет\" }` Далее")
        );
        assert_eq!(clean("карта 860030******5959, далее").as_deref(), Some("карта `860030******5959`, далее"));
        assert_eq!(clean("- draft\n    \n- progress").as_deref(), Some("• draft • progress"));
    }
}
