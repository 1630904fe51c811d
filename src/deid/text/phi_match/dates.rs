//! A header date as screens write it: ISO and compact forms, US and European day orders, two-digit
//! years, month names, and Japanese era dates (S26.08.29, 昭和26年8月29日).

use super::fuzzy::{contains_within, equal, fold, join_cjk};

/// A calendar date from a DA value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub y: u32,
    pub m: u32,
    pub d: u32,
}

/// Parses a DA value (YYYYMMDD; the old YYYY.MM.DD form too). `None` for anything that is not a
/// real calendar date.
pub fn parse_da(s: &str) -> Option<Date> {
    let digits: String = s.trim_matches(|c: char| c == ' ' || c == '\0').chars().filter(|c| *c != '.').collect();
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (y, m, d) = (digits[..4].parse().ok()?, digits[4..6].parse().ok()?, digits[6..].parse().ok()?);
    ((1..=12).contains(&m) && (1..=days_in_month(y, m)).contains(&d)).then_some(Date { y, m, d })
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Japanese eras from their first day: the era letter, its name, and the first day.
const ERAS: [(char, &str, Date); 5] = [
    ('M', "明治", Date { y: 1868, m: 1, d: 1 }),
    ('T', "大正", Date { y: 1912, m: 7, d: 30 }),
    ('S', "昭和", Date { y: 1926, m: 12, d: 25 }),
    ('H', "平成", Date { y: 1989, m: 1, d: 8 }),
    ('R', "令和", Date { y: 2019, m: 5, d: 1 }),
];

/// The era of `date` and the year within it (the first year is 1), if it is in one.
pub fn era(date: Date) -> Option<(char, &'static str, u32)> {
    ERAS.iter().rev().find(|e| e.2 <= date).map(|&(letter, name, start)| (letter, name, date.y - start.y + 1))
}

const MONTHS: [&str; 12] = [
    "JANUARY",
    "FEBRUARY",
    "MARCH",
    "APRIL",
    "MAY",
    "JUNE",
    "JULY",
    "AUGUST",
    "SEPTEMBER",
    "OCTOBER",
    "NOVEMBER",
    "DECEMBER",
];

/// One way of writing a date, in [`normalize`]d form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendering {
    pub chars: Vec<char>,
    /// Written with a four-digit year: specific enough to accept one OCR error. Shorter forms
    /// must match exactly and stand apart from other digits, since numbers like 08/29/51 are
    /// everywhere on an ultrasound screen.
    pub approximate: bool,
}

/// Date text in one form: folded letters and digits, every separator (/ - . space , 年 月 日)
/// as '/', time colons kept (so that 11:24:20 never reads as a date), runs of separators as one.
pub fn normalize(text: &str) -> Vec<char> {
    let mut out: Vec<char> = Vec::with_capacity(text.len());
    for c in join_cjk(text).chars() {
        let n = match c {
            '年' | '月' | '日' => '/',
            ':' => ':',
            _ => fold(c).unwrap_or('/'),
        };
        if !(n == '/' && out.last() == Some(&'/')) {
            out.push(n);
        }
    }
    out
}

/// The ways screens write `date`.
pub fn renderings(date: Date) -> Vec<Rendering> {
    let Date { y, m, d } = date;
    let yy = y % 100;
    let mon = &MONTHS[m as usize - 1];
    let mut long = vec![
        format!("{y}{m:02}{d:02}"),
        format!("{y}/{m:02}/{d:02}"),
        format!("{y}/{m}/{d}"),
        format!("{m:02}/{d:02}/{y}"),
        format!("{m}/{d}/{y}"),
        format!("{d:02}/{m:02}/{y}"),
        format!("{d}/{m}/{y}"),
    ];
    for name in [&mon[..3], mon] {
        long.extend([
            format!("{d:02}-{name}-{y}"),
            format!("{d}-{name}-{y}"),
            format!("{name} {d:02} {y}"),
            format!("{name} {d} {y}"),
        ]);
    }
    let mut short = vec![
        format!("{m:02}/{d:02}/{yy:02}"),
        format!("{m}/{d}/{yy:02}"),
        format!("{d:02}/{m:02}/{yy:02}"),
        format!("{yy:02}/{m:02}/{d:02}"),
        format!("{d:02}-{}-{yy:02}", &mon[..3]),
    ];
    if let Some((letter, name, ey)) = era(date) {
        short.extend([
            format!("{letter}{ey:02}.{m:02}.{d:02}"),
            format!("{letter}{ey}.{m}.{d}"),
            format!("{name}{ey}年{m}月{d}日"),
            format!("{name}{ey}年{m:02}月{d:02}日"),
        ]);
        if ey == 1 {
            short.push(format!("{name}元年{m}月{d}日"));
        }
    }
    let mut out: Vec<Rendering> = Vec::new();
    for (list, approximate) in [(long, true), (short, false)] {
        for s in list {
            let chars = trim_separators(normalize(&s));
            if !out.iter().any(|r| r.chars == chars) {
                out.push(Rendering { chars, approximate });
            }
        }
    }
    out
}

fn trim_separators(mut v: Vec<char>) -> Vec<char> {
    while v.last() == Some(&'/') {
        v.pop();
    }
    v
}

/// Whether normalized `text` shows the rendering: within one edit for four-digit-year forms,
/// otherwise exactly and not inside a longer number.
pub fn shows(text: &[char], r: &Rendering) -> bool {
    if r.approximate {
        return contains_within(text, &r.chars, 1);
    }
    let n = r.chars.len();
    let digit = |i: Option<&char>| i.is_some_and(|c| c.is_ascii_digit());
    (0..(text.len() + 1).saturating_sub(n)).any(|i| {
        equal(&r.chars, &text[i..i + n])
            && !digit(i.checked_sub(1).and_then(|j| text.get(j)))
            && !digit(text.get(i + n))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        parse_da(s).unwrap()
    }

    fn shown(da: &str, text: &str) -> bool {
        let t = normalize(text);
        renderings(date(da)).iter().any(|r| shows(&t, r))
    }

    #[test]
    fn da_values_parse_only_when_they_are_real_calendar_dates() {
        assert_eq!(parse_da("19510829"), Some(Date { y: 1951, m: 8, d: 29 }));
        assert_eq!(parse_da("1951.08.29 "), Some(Date { y: 1951, m: 8, d: 29 }));
        assert_eq!(parse_da("20000229"), Some(Date { y: 2000, m: 2, d: 29 }));
        for bad in ["19000229", "19511329", "19510431", "1951082", "", "ABCDEFGH"] {
            assert_eq!(parse_da(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_common_date_format_of_the_birth_date_is_recognised() {
        for text in [
            "19510829",
            "1951/08/29",
            "1951-08-29",
            "1951.08.29",
            "08/29/1951",
            "8/29/1951",
            "29/08/1951",
            "29.08.1951",
            "08/29/51",
            "29-Aug-1951",
            "29-AUG-51",
            "Aug 29, 1951",
            "29 August 1951",
            "1951年8月29日",
            "DOB: 08/29/1951",
            "DOB 08-29-1951 M",
        ] {
            assert!(shown("19510829", text), "{text}");
        }
    }

    #[test]
    fn japanese_era_dates_use_the_era_of_the_day_itself() {
        assert_eq!(era(date("19510829")), Some(('S', "昭和", 26)));
        // The last days of Taishō and the first of Shōwa, the eve and first day of Reiwa.
        assert_eq!(era(date("19261224")), Some(('T', "大正", 15)));
        assert_eq!(era(date("19261225")), Some(('S', "昭和", 1)));
        assert_eq!(era(date("20190430")), Some(('H', "平成", 31)));
        assert_eq!(era(date("20190501")), Some(('R', "令和", 1)));
        assert_eq!(era(date("18000101")), None);
        for text in ["S26.08.29", "S26.8.29", "昭和26年8月29日", "昭和26年08月29日", "昭 和 26 年 8 月 29 日"]
        {
            assert!(shown("19510829", text), "{text}");
        }
        assert!(shown("20190501", "令和元年5月1日"));
        assert!(!shown("19510829", "H26.08.29"), "the wrong era is another date");
    }

    #[test]
    fn one_ocr_error_is_accepted_only_in_dates_with_a_four_digit_year() {
        assert!(shown("19510829", "O8/29/l95l"), "confusables fold");
        assert!(shown("19510829", "08/29/1961"), "one wrong digit");
        assert!(shown("19510829", "08/29/19511"), "an extra digit");
        assert!(!shown("19510829", "08/28/61"), "short forms match exactly");
        assert!(!shown("19510829", "108/29/51"), "short forms do not match inside longer numbers");
    }

    #[test]
    fn clock_times_and_other_dates_are_not_taken_for_the_date() {
        // 2020-11-24 written as MM/DD/YY would be 11/24/20: a time 11:24:20 is not that.
        assert!(!shown("20201124", "11:24:20"));
        assert!(shown("20201124", "11/24/20"));
        assert!(!shown("19510829", "07/14/1987"));
        assert!(!shown("19510829", "Depth 16 cm 12.5 MHz"));
    }
}
