//! The HTML writer: one file, inline SVG, inline CSS and JS, nothing fetched.

use std::fmt::Write as _;

use crate::model::MapData;
use crate::project::Projection;

/// Route colours, chosen to stay apart from each other and from the fill scale.
pub const ROUTE_PALETTE: [&str; 12] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
    "#393b79", "#637939", "#843c39", "#7b4173",
];

const WIDTH: f64 = 1000.0;

/// Colour of a bin at `fill`: green when empty through yellow to red when
/// full, and dark purple once it overflows, so problem bins stand out.
pub fn fill_colour(fill: f64) -> String {
    if fill > 1.0 {
        return "#5b0a5e".into();
    }
    let f = fill.clamp(0.0, 1.0);
    let (r, g) = if f < 0.5 {
        (510.0 * f, 200.0)
    } else {
        (255.0, 200.0 * (2.0 - 2.0 * f))
    };
    format!("#{:02x}{:02x}30", r as u8, g as u8)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Renders `map` to a self-contained HTML page.
pub fn render_html(map: &MapData) -> String {
    let proj = Projection::fit(map, WIDTH);
    let mut svg = String::new();
    let height = proj.height;
    let _ = write!(
        svg,
        r#"<svg id="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:.0} {height:.0}" preserveAspectRatio="xMidYMid meet">"#
    );
    // Roads as one path: tens of thousands of segments stay light.
    let mut d = String::new();
    for line in &map.roads {
        for (i, p) in line.iter().enumerate() {
            let (x, y) = proj.xy(p);
            let _ = write!(d, "{}{x:.1} {y:.1}", if i == 0 { "M" } else { "L" });
        }
    }
    let _ = write!(
        svg,
        r##"<path class="roads" d="{d}" fill="none" stroke="#c8c8c8" stroke-width="0.8" vector-effect="non-scaling-stroke"/>"##
    );
    for (i, r) in map.routes.iter().enumerate() {
        let colour = ROUTE_PALETTE[i % ROUTE_PALETTE.len()];
        let pts: Vec<String> = r
            .path
            .iter()
            .map(|p| proj.xy(p))
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = write!(
            svg,
            r#"<polyline class="route" data-route="{i}" points="{}" fill="none" stroke="{colour}" stroke-width="2.5" stroke-opacity="0.85" vector-effect="non-scaling-stroke"><title>{}</title></polyline>"#,
            pts.join(" "),
            esc(&format!("{} {}", r.name, r.summary))
        );
    }
    for b in &map.bins {
        let (x, y) = proj.xy(&b.at);
        let ring = b
            .route
            .map_or("#444444", |r| ROUTE_PALETTE[r % ROUTE_PALETTE.len()]);
        let title = esc(&format!(
            "{} · fill {:.0} %{}{}{}",
            b.id,
            b.fill * 100.0,
            b.route
                .map(|r| format!(
                    " · route {}",
                    map.routes.get(r).map_or("?", |r| r.name.as_str())
                ))
                .unwrap_or_default(),
            b.unserved
                .as_ref()
                .map(|u| format!(" · UNSERVED: {u}"))
                .unwrap_or_default(),
            if b.note.is_empty() {
                String::new()
            } else {
                format!(" · {}", b.note)
            }
        ));
        let _ = write!(
            svg,
            r#"<circle class="bin" cx="{x:.1}" cy="{y:.1}" r="4" fill="{}" stroke="{ring}" stroke-width="{}"><title>{title}</title></circle>"#,
            fill_colour(b.fill),
            if b.route.is_some() { 2 } else { 1 }
        );
        if b.unserved.is_some() {
            let _ = write!(
                svg,
                r##"<path class="unserved" d="M{:.1} {:.1}L{:.1} {:.1}M{:.1} {:.1}L{:.1} {:.1}" stroke="#d00000" stroke-width="2"><title>{title}</title></path>"##,
                x - 6.0,
                y - 6.0,
                x + 6.0,
                y + 6.0,
                x - 6.0,
                y + 6.0,
                x + 6.0,
                y - 6.0
            );
        }
    }
    for s in &map.disposal_sites {
        let (x, y) = proj.xy(&s.at);
        let _ = write!(
            svg,
            r##"<polygon class="site" points="{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}" fill="#8c510a" stroke="#000"><title>disposal site {}</title></polygon>"##,
            x,
            y - 9.0,
            x - 8.0,
            y + 6.0,
            x + 8.0,
            y + 6.0,
            esc(&s.name)
        );
    }
    for dp in &map.depots {
        let (x, y) = proj.xy(&dp.at);
        let _ = write!(
            svg,
            r##"<rect class="depot" x="{:.1}" y="{:.1}" width="14" height="14" fill="#111" stroke="#fff"><title>depot {}</title></rect>"##,
            x - 7.0,
            y - 7.0,
            esc(&dp.name)
        );
    }
    svg.push_str("</svg>");

    let mut legend = String::new();
    for (i, r) in map.routes.iter().enumerate() {
        let colour = ROUTE_PALETTE[i % ROUTE_PALETTE.len()];
        let _ = write!(
            legend,
            r#"<li class="legend-route" data-route="{i}"><span class="swatch" style="background:{colour}"></span>{} <small>{}</small></li>"#,
            esc(&r.name),
            esc(&r.summary)
        );
    }
    let unserved = map.bins.iter().filter(|b| b.unserved.is_some()).count();
    let fill_scale: String = [0.0, 0.25, 0.5, 0.75, 1.0, 1.1]
        .iter()
        .map(|&f| {
            format!(
                r#"<span class="swatch" style="background:{}"></span>{}"#,
                fill_colour(f),
                if f > 1.0 {
                    "overflow".to_string()
                } else {
                    format!("{:.0} %", f * 100.0)
                }
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        r##"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body{{font:14px system-ui,sans-serif;margin:0;display:flex;height:100vh}}
#side{{width:280px;padding:12px;overflow:auto;border-right:1px solid #ddd}}
#wrap{{flex:1;position:relative;background:#fafafa}}
#map{{width:100%;height:100%;cursor:grab}}
.swatch{{display:inline-block;width:12px;height:12px;margin:0 6px 0 2px;vertical-align:middle;border:1px solid #0003}}
ul{{padding-left:0;list-style:none}} li{{margin:3px 0;cursor:pointer}}
#attr{{position:absolute;right:4px;bottom:2px;font-size:11px;background:#fffc;padding:1px 4px}}
.dim{{opacity:.12}}
</style></head><body>
<div id="side"><h3>{title}</h3><p>{subtitle}</p>
<h4>Routes</h4><ul id="legend">{legend}</ul>
<h4>Bins by fill</h4><p>{fill_scale}</p>
<p><span class="swatch" style="background:#111"></span>depot <span class="swatch" style="background:#8c510a"></span>disposal site <b style="color:#d00000">✕</b> unserved ({unserved})</p>
<p><small>Scroll to zoom, drag to pan, click a route to highlight it.</small></p></div>
<div id="wrap">{svg}<div id="attr">{attribution}</div></div>
<script>
(function(){{
const svg=document.getElementById('map');let vb=svg.viewBox.baseVal;let drag=null;
svg.addEventListener('wheel',e=>{{e.preventDefault();const r=svg.getBoundingClientRect();
const mx=vb.x+(e.clientX-r.left)/r.width*vb.width,my=vb.y+(e.clientY-r.top)/r.height*vb.height;
const k=e.deltaY<0?0.8:1.25;vb.x=mx-(mx-vb.x)*k;vb.y=my-(my-vb.y)*k;vb.width*=k;vb.height*=k;}},{{passive:false}});
svg.addEventListener('mousedown',e=>{{drag=[e.clientX,e.clientY];}});
window.addEventListener('mouseup',()=>{{drag=null;}});
window.addEventListener('mousemove',e=>{{if(!drag)return;const r=svg.getBoundingClientRect();
vb.x-=(e.clientX-drag[0])/r.width*vb.width;vb.y-=(e.clientY-drag[1])/r.height*vb.height;drag=[e.clientX,e.clientY];}});
let on=null;document.querySelectorAll('.legend-route').forEach(li=>li.addEventListener('click',()=>{{
const k=li.dataset.route;on=(on===k)?null:k;document.querySelectorAll('.route').forEach(p=>
p.classList.toggle('dim',on!==null&&p.dataset.route!==on));}}));
}})();
</script></body></html>
"##,
        title = esc(&map.title),
        subtitle = esc(&map.subtitle),
        attribution = esc(&map.attribution),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BinMark, Place, RouteLine};

    fn sample() -> MapData {
        let mut map = MapData::new("Day 3 <weekly>");
        map.roads
            .push(vec![[1.50, 42.50], [1.51, 42.50], [1.51, 42.51]]);
        map.depots.push(Place::new("depot", [1.50, 42.50]));
        map.disposal_sites
            .push(Place::new("landfill", [1.51, 42.51]));
        for (i, name) in ["truck 1", "truck 2", "truck 3"].iter().enumerate() {
            map.routes.push(RouteLine::new(
                *name,
                vec![
                    [1.50, 42.50],
                    [1.505 + 0.001 * i as f64, 42.505],
                    [1.50, 42.50],
                ],
            ));
        }
        map.bins.push(BinMark {
            id: "b1".into(),
            at: [1.505, 42.505],
            fill: 0.9,
            route: Some(0),
            unserved: None,
            note: String::new(),
        });
        map.bins.push(BinMark {
            id: "b2".into(),
            at: [1.507, 42.502],
            fill: 1.1,
            route: None,
            unserved: Some("fleet exhausted".into()),
            note: String::new(),
        });
        map
    }

    #[test]
    fn map_carries_the_osm_attribution_and_one_legend_entry_per_route() {
        let html = render_html(&sample());
        assert!(html.contains("© OpenStreetMap contributors"));
        assert_eq!(html.matches(r#"class="legend-route""#).count(), 3);
        assert_eq!(html.matches(r#"class="route""#).count(), 3);
    }

    #[test]
    fn unserved_bins_are_marked_and_text_is_escaped() {
        let html = render_html(&sample());
        assert_eq!(html.matches(r#"class="unserved""#).count(), 1);
        assert!(html.contains("Day 3 &lt;weekly&gt;"));
        assert!(!html.contains("<weekly>"));
    }

    #[test]
    fn map_is_self_contained() {
        let html = render_html(&sample());
        assert!(
            !html.contains("http://") || html.matches("http://").count() == 1,
            "only the SVG namespace"
        );
        assert!(!html.contains("https://"));
        assert!(!html.contains("<script src"));
    }

    #[test]
    fn fill_colours_run_green_to_red_then_purple() {
        assert_eq!(fill_colour(0.0), "#00c830");
        assert_eq!(fill_colour(1.0), "#ff0030");
        assert_eq!(fill_colour(1.2), "#5b0a5e");
    }
}
