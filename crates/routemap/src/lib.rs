//! Offline HTML route maps.
//!
//! A dispatcher or a reviewer must be able to open a plan on a laptop with
//! no network: no tile server, no CDN, no external script. This crate turns
//! plain map data (lon/lat polylines and points, so it depends on no road or
//! planner crate) into one self-contained HTML file with an inline SVG and a
//! few lines of JavaScript for pan, zoom and hover details. The road network,
//! depots, disposal sites, bins coloured by fill, one colour per route with a
//! legend, unserved bins marked with their reason, and the OpenStreetMap
//! attribution (the ODbL requires it on any map made from OSM data) are all
//! drawn. The scenario simulator and the planning service share it.
//!
//! ```
//! use fillroute_routemap::{MapData, Place, RouteLine, render_html};
//! let mut map = MapData::new("Day 1");
//! map.depots.push(Place::new("depot", [1.52, 42.50]));
//! map.routes.push(RouteLine::new("truck 1", vec![[1.52, 42.50], [1.53, 42.51], [1.52, 42.50]]));
//! let html = render_html(&map);
//! assert!(html.contains("© OpenStreetMap contributors"));
//! ```
#![forbid(unsafe_code)]

mod html;
mod model;
mod project;

pub use html::{ROUTE_PALETTE, fill_colour, render_html};
pub use model::{BinMark, MapData, Place, RouteLine};
