//! Charts drawn as inline SVG from data: a column chart and a tile map of the Americas. No
//! library, no script; each figure carries a title and a description for screen readers, and
//! the pages show the same figures in a table.

use maud::{html, Markup};
use std::collections::BTreeMap;

/// The 35 OAS member states, placed roughly where they are: (ISO code, column, row).
pub const OAS_TILES: [(&str, u8, u8); 35] = [
    ("CA", 2, 0),
    ("US", 2, 1),
    ("MX", 1, 2),
    ("BS", 4, 2),
    ("GT", 1, 3),
    ("BZ", 2, 3),
    ("CU", 3, 3),
    ("HT", 5, 3),
    ("DO", 6, 3),
    ("KN", 7, 3),
    ("AG", 8, 3),
    ("SV", 1, 4),
    ("HN", 2, 4),
    ("JM", 4, 4),
    ("DM", 8, 4),
    ("NI", 2, 5),
    ("LC", 8, 5),
    ("BB", 9, 5),
    ("CR", 2, 6),
    ("PA", 3, 6),
    ("VC", 8, 6),
    ("CO", 3, 7),
    ("VE", 4, 7),
    ("TT", 5, 7),
    ("GD", 7, 7),
    ("EC", 2, 8),
    ("PE", 3, 8),
    ("GY", 5, 8),
    ("SR", 6, 8),
    ("BO", 4, 9),
    ("BR", 5, 9),
    ("CL", 3, 10),
    ("PY", 4, 10),
    ("UY", 5, 10),
    ("AR", 4, 11),
];

const TILE: u32 = 44;
const GAP: u32 = 4;

/// Five steps from light to dark (0 = no case: grey). Text colour keeps contrast ≥ 4.5:1.
fn shade(n: u64, max: u64) -> (&'static str, &'static str, usize) {
    if n == 0 || max == 0 {
        return ("#e6e6e6", "#1a1a1a", 0);
    }
    let step = ((n as f64 / max as f64) * 4.0).ceil().clamp(1.0, 4.0) as usize;
    match step {
        1 => ("#c6dbef", "#0b1f33", 1),
        2 => ("#6baed6", "#0b1f33", 2),
        3 => ("#2171b5", "#ffffff", 3),
        _ => ("#08306b", "#ffffff", 4),
    }
}

/// Tile map: one square per state, labelled with its ISO code, coloured by `counts`.
/// `label(code, n)` gives each tile's accessible title.
pub fn tile_map(
    id: &str,
    title: &str,
    desc: &str,
    counts: &BTreeMap<String, u64>,
    label: impl Fn(&str, u64) -> String,
    link: impl Fn(&str) -> Option<String>,
) -> Markup {
    let max = counts.values().copied().max().unwrap_or(0);
    let (w, h) = (10 * (TILE + GAP), 12 * (TILE + GAP));
    html! {
        svg.map id=(id) xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {w} {h}")) role="img"
            aria-labelledby=(format!("{id}-t {id}-d")) width=(w) height=(h) {
            title id=(format!("{id}-t")) { (title) }
            desc id=(format!("{id}-d")) { (desc) }
            @for (code, col, row) in OAS_TILES {
                @let n = counts.get(code).copied().unwrap_or(0);
                @let (fill, ink, step) = shade(n, max);
                @let (x, y) = (u32::from(col) * (TILE + GAP), u32::from(row) * (TILE + GAP));
                @let tile = html! {
                    g class=(format!("tile step-{step}")) data-state=(code) data-count=(n) {
                        title { (label(code, n)) }
                        rect x=(x) y=(y) width=(TILE) height=(TILE) rx="4" fill=(fill) stroke="#555" stroke-width="1" {}
                        text x=(x + TILE / 2) y=(y + 19) text-anchor="middle" font-size="13" font-weight="bold" fill=(ink) { (code) }
                        @if n > 0 {
                            text x=(x + TILE / 2) y=(y + 35) text-anchor="middle" font-size="12" fill=(ink) { (n) }
                        }
                    }
                };
                // A state with cases links to its cases (keyboard: the link takes focus).
                @if let (true, Some(href)) = (n > 0, link(code)) {
                    a href=(href) aria-label=(label(code, n)) { (tile) }
                } @else {
                    (tile)
                }
            }
        }
    }
}

/// Legend of the tile map: the count range of each step in use.
pub fn map_legend(title: &str, max: u64) -> Markup {
    let mut steps: Vec<(String, usize)> = vec![("0".into(), 0)];
    for k in 1..=4u64 {
        let lo = (k - 1) * max / 4 + 1;
        let hi = k * max / 4;
        if max > 0 && lo <= hi {
            steps.push((if lo == hi { lo.to_string() } else { format!("{lo}–{hi}") }, k as usize));
        }
    }
    html! {
        div.legend {
            span { (title) ": " }
            @for (range, step) in steps {
                span class=(format!("swatch step-{step}")) aria-hidden="true" {}
                span { (range) " " }
            }
        }
    }
}

/// A column chart with value labels: `bars` are (label, value).
pub fn columns(id: &str, title: &str, bars: &[(String, u64)]) -> Markup {
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    let (bw, gap, plot_h, top, bottom) = (40u32, 12u32, 160u32, 20u32, 40u32);
    let w = bars.len() as u32 * (bw + gap) + gap;
    let h = top + plot_h + bottom;
    html! {
        svg.chart id=(id) xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {w} {h}")) role="img"
            aria-labelledby=(format!("{id}-t")) width=(w) height=(h) {
            title id=(format!("{id}-t")) { (title) }
            line x1="0" y1=(top + plot_h) x2=(w) y2=(top + plot_h) stroke="#333" {}
            @for (i, (label, v)) in bars.iter().enumerate() {
                @let bh = (*v as f64 / max as f64 * plot_h as f64).round() as u32;
                @let x = gap + i as u32 * (bw + gap);
                g.bar data-value=(v) {
                    title { (label) ": " (v) }
                    rect x=(x) y=(top + plot_h - bh) width=(bw) height=(bh) fill="#2171b5" {}
                    text x=(x + bw / 2) y=(top + plot_h - bh - 4) text-anchor="middle" font-size="12" fill="#1a1a1a" { (v) }
                    text x=(x + bw / 2) y=(top + plot_h + 16) text-anchor="middle" font-size="11" fill="#1a1a1a" { (label) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_has_35_distinct_states_on_distinct_tiles() {
        let codes: std::collections::BTreeSet<_> = OAS_TILES.iter().map(|t| t.0).collect();
        let cells: std::collections::BTreeSet<_> = OAS_TILES.iter().map(|t| (t.1, t.2)).collect();
        assert_eq!(codes.len(), 35);
        assert_eq!(cells.len(), 35);
        for c in codes {
            assert!(c.parse::<atalaya_model::CountryCode>().is_ok(), "{c}");
        }
    }

    #[test]
    fn map_colours_by_count() {
        let counts: BTreeMap<String, u64> = [("BR".to_string(), 8), ("UY".to_string(), 1)].into();
        let svg = tile_map("m", "t", "d", &counts, |c, n| format!("{c}: {n}"), |c| Some(format!("/x?s={c}"))).into_string();
        assert!(svg.contains(r#"<a href="/x?s=BR" aria-label="BR: 8">"#), "{svg}");
        assert!(!svg.contains("/x?s=AR"), "states without cases are not links");
        assert!(svg.contains(r#"class="tile step-4" data-state="BR" data-count="8""#), "{svg}");
        assert!(svg.contains(r#"class="tile step-1" data-state="UY" data-count="1""#));
        assert!(svg.contains(r#"class="tile step-0" data-state="AR" data-count="0""#));
        assert_eq!(svg.matches("<rect").count(), 35);
    }

    #[test]
    fn legend_ranges_match_the_tile_steps() {
        let lg = map_legend("n", 8).into_string();
        assert!(lg.contains("step-1") && lg.contains("1–2") && lg.contains("7–8"), "{lg}");
        let one = map_legend("n", 1).into_string();
        assert_eq!(one.matches("swatch").count(), 2, "{one}");
        for n in 1..=8u64 {
            let step = shade(n, 8).2 as u64;
            assert!(n > (step - 1) * 8 / 4 && n <= step * 8 / 4, "{n} in step {step}");
        }
    }

    #[test]
    fn columns_scale_to_the_largest_value() {
        let svg = columns("c", "t", &[("a".into(), 2), ("b".into(), 4), ("c".into(), 0)]).into_string();
        assert!(svg.contains(r#"height="80""#) && svg.contains(r#"height="160""#) && svg.contains(r#"height="0""#), "{svg}");
    }
}
