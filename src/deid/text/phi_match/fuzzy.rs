//! OCR-tolerant string comparison: one canonical form for characters OCR confuses, text reduced
//! to its letters and digits with the token boundaries remembered, and edit-distance search.

/// Canonical form of one character: full-width forms to ASCII, upper case, and the look-alikes
/// OCR swaps (O/0, I/l/1, S/5, B/8, Z/2) to one of each pair; a slashed zero read as Ø or @ is
/// a zero. `None` for separators (spaces, punctuation), which matching ignores.
pub fn fold(c: char) -> Option<char> {
    let c = widen_to_ascii(c);
    if matches!(c, '@' | 'Ø' | 'ø') {
        return Some('0');
    }
    if !c.is_alphanumeric() {
        return None;
    }
    let c = c.to_uppercase().next().unwrap_or(c);
    Some(match c {
        'O' => '0',
        'I' | 'L' => '1',
        'S' => '5',
        'B' => '8',
        'Z' => '2',
        _ => c,
    })
}

/// Full-width ASCII (U+FF01–U+FF5E, common in Japanese text) and the ideographic space to ASCII.
pub fn widen_to_ascii(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// Drops spaces next to non-ASCII characters: tesseract's Japanese model separates every
/// ideograph with a space, which would split names and dates written without any.
pub fn join_cjk(text: &str) -> String {
    let chars: Vec<char> = text.chars().map(widen_to_ascii).collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        if c.is_whitespace() {
            let prev = chars[..i].iter().rev().find(|c| !c.is_whitespace());
            let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            if prev.is_some_and(|c| !c.is_ascii()) || next.is_some_and(|c| !c.is_ascii()) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// The folded letters and digits of a value (a name part, an ID).
pub fn compact(s: &str) -> Vec<char> {
    join_cjk(s).chars().filter_map(fold).collect()
}

/// A token of the text: a run of letters and digits.
pub struct Token {
    /// Start and end (exclusive) in [`Prepared::compact`].
    pub start: usize,
    pub end: usize,
    /// Whether the text had a letter here before folding ("ZZZ" folds to "222").
    pub has_letter: bool,
}

/// OCR text ready for matching.
pub struct Prepared {
    pub compact: Vec<char>,
    pub tokens: Vec<Token>,
}

impl Prepared {
    pub fn new(text: &str) -> Prepared {
        let mut compact = Vec::new();
        let mut tokens: Vec<Token> = Vec::new();
        let mut open = false;
        for c in join_cjk(text).chars() {
            match fold(c) {
                Some(f) => {
                    if !open {
                        tokens.push(Token { start: compact.len(), end: compact.len(), has_letter: false });
                        open = true;
                    }
                    compact.push(f);
                    let t = tokens.last_mut().expect("a token is open");
                    t.end = compact.len();
                    t.has_letter |= widen_to_ascii(c).is_alphabetic();
                }
                None => open = false,
            }
        }
        Prepared { compact, tokens }
    }

    pub fn token(&self, t: &Token) -> &[char] {
        &self.compact[t.start..t.end]
    }
}

/// Whether text character `t` may show header character `h` (both folded). Screens often draw
/// zeros slashed, which OCR reads as 6 or 8 as often as 0; the other way round is no confusion.
pub fn same(h: char, t: char) -> bool {
    h == t || (h == '0' && matches!(t, '6' | '8'))
}

/// Whether header value `pattern` occurs in `text` with at most `max_edits` insertions, deletions or
/// substitutions (Sellers' semi-global edit distance: the match may start and end anywhere).
pub fn contains_within(text: &[char], pattern: &[char], max_edits: usize) -> bool {
    if pattern.is_empty() {
        return true;
    }
    // Column j of the DP over text positions; row i over pattern prefixes.
    let mut col: Vec<usize> = (0..=pattern.len()).collect();
    if col[pattern.len()] <= max_edits {
        return true;
    }
    for &t in text {
        let mut diag = col[0];
        col[0] = 0;
        for i in 1..=pattern.len() {
            let up = col[i];
            col[i] = (diag + usize::from(!same(pattern[i - 1], t))).min(up + 1).min(col[i - 1] + 1);
            diag = up;
        }
        if col[pattern.len()] <= max_edits {
            return true;
        }
    }
    false
}

/// Whether text `t` shows header value `h` exactly (up to [`same`]).
pub fn equal(h: &[char], t: &[char]) -> bool {
    h.len() == t.len() && h.iter().zip(t).all(|(&h, &t)| same(h, t))
}

/// The smallest edit distance between text `seg` and a prefix of header value `value` of length `seg.len()` ± 1
/// (a value cut short on screen, read with an error).
pub fn prefix_distance(seg: &[char], value: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=value.len()).collect();
    for (i, &s) in seg.iter().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for k in 1..=value.len() {
            let up = row[k];
            row[k] = (diag + usize::from(!same(value[k - 1], s))).min(up + 1).min(row[k - 1] + 1);
            diag = up;
        }
    }
    let n = seg.len();
    (n.saturating_sub(1)..=(n + 1).min(value.len())).map(|k| row[k]).min().unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn folding_maps_confusable_pairs_and_full_width_forms_to_one_form() {
        assert_eq!(compact("Oslo Bz"), chars("051082"));
        assert_eq!(compact("ＡＢ１２"), chars("A812"));
        assert_eq!(compact("a-b c.d"), chars("A8CD"));
    }

    #[test]
    fn japanese_ocr_spacing_between_ideographs_is_dropped_but_ascii_words_stay_apart() {
        assert_eq!(join_cjk("山 田 太 郎 ID 12"), "山田太郎ID 12");
        assert_eq!(join_cjk("TARO YAMADA"), "TARO YAMADA");
    }

    #[test]
    fn tokens_remember_where_letters_were_before_folding() {
        let p = Prepared::new("ZZZ, 222 x1");
        let t: Vec<(String, bool)> = p.tokens.iter().map(|t| (p.token(t).iter().collect(), t.has_letter)).collect();
        assert_eq!(t, vec![("222".into(), true), ("222".into(), false), ("X1".into(), true)]);
    }

    #[test]
    fn a_header_zero_matches_the_6_or_8_a_slashed_zero_is_read_as_but_not_the_reverse() {
        assert!(equal(&chars("40404"), &chars("46484")));
        assert!(!equal(&chars("46484"), &chars("40404")));
        assert!(contains_within(&chars("ID46464646464"), &chars("40404040404"), 0));
        assert_eq!(compact("TIS<@.4 Ø"), chars("T15040"));
    }

    #[test]
    fn semi_global_search_allows_the_stated_number_of_edits_anywhere_in_the_text() {
        let text = chars("XXPATIENTYY");
        assert!(contains_within(&text, &chars("PATIENT"), 0));
        assert!(contains_within(&text, &chars("PATXENT"), 1));
        assert!(contains_within(&text, &chars("PATENT"), 1));
        assert!(!contains_within(&text, &chars("PAXXENT"), 1));
        assert!(!contains_within(&chars("PAT"), &chars("PATIENT"), 1));
    }

    #[test]
    fn prefix_distance_measures_against_a_value_cut_to_the_segment_length() {
        let v = chars("CCHSCLEVELANDCLINIC");
        assert_eq!(prefix_distance(&chars("CCHSCLEVELAN"), &v), 0);
        assert_eq!(prefix_distance(&chars("CCHSCIEVELAN"), &v), 1);
        assert!(prefix_distance(&chars("CLEVELAND"), &v) > 1);
    }
}
