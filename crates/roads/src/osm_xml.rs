//! OSM XML (`.osm`, `.osm.gz`) reader; streams so memory holds only what we keep.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::error::{Result, RoadsError};
use crate::network::RoadNetwork;
use crate::osm::OsmCollector;

impl RoadNetwork {
    /// Reads an OSM XML file, gzipped or not (detected from the content, not the name).
    pub fn from_osm_xml(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let io = |source| RoadsError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = BufReader::new(File::open(path).map_err(io)?);
        let gz = file.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
        let reader: Box<dyn BufRead> = if gz {
            Box::new(BufReader::new(MultiGzDecoder::new(file)))
        } else {
            Box::new(file)
        };
        Self::from_osm_xml_reader(reader, path)
    }

    /// Reads OSM XML from any buffered reader; `path` only labels errors.
    pub fn from_osm_xml_reader(input: impl BufRead, path: &Path) -> Result<Self> {
        let mut xml = Reader::from_reader(input);
        let mut buf = Vec::new();
        let mut c = OsmCollector::default();
        let mut in_way = false;
        let mut seen_osm = false;
        let mut refs: Vec<i64> = Vec::new();
        let mut tags: Vec<(String, String)> = Vec::new();
        let fail = |xml: &Reader<_>, message: String| RoadsError::Xml {
            path: path.to_path_buf(),
            position: xml.buffer_position(),
            message,
        };
        loop {
            let ev = xml.read_event_into(&mut buf);
            let (e, empty) = match ev {
                Err(err) => return Err(fail(&xml, err.to_string())),
                Ok(Event::Eof) => break,
                Ok(Event::Start(e)) => (e, false),
                Ok(Event::Empty(e)) => (e, true),
                Ok(Event::End(e)) => {
                    if e.name().as_ref() == b"way" && in_way {
                        in_way = false;
                        let t = std::mem::take(&mut tags);
                        c.way(std::mem::take(&mut refs), |k| {
                            t.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str())
                        });
                    }
                    buf.clear();
                    continue;
                }
                Ok(_) => {
                    buf.clear();
                    continue;
                }
            };
            match e.name().as_ref() {
                b"osm" => seen_osm = true,
                b"node" => {
                    let id = int_attr(&e, b"id").map_err(|m| fail(&xml, m))?;
                    let lat = float_attr(&e, b"lat").map_err(|m| fail(&xml, m))?;
                    let lon = float_attr(&e, b"lon").map_err(|m| fail(&xml, m))?;
                    c.node(id, lon, lat);
                }
                b"way" => {
                    refs.clear();
                    tags.clear();
                    in_way = !empty;
                }
                b"nd" if in_way => refs.push(int_attr(&e, b"ref").map_err(|m| fail(&xml, m))?),
                b"tag" if in_way => {
                    let k = str_attr(&e, b"k").map_err(|m| fail(&xml, m))?;
                    let v = str_attr(&e, b"v").map_err(|m| fail(&xml, m))?;
                    tags.push((k, v));
                }
                _ => {}
            }
            buf.clear();
        }
        if !seen_osm {
            return Err(RoadsError::Xml {
                path: path.to_path_buf(),
                position: xml.buffer_position(),
                message: "no <osm> root element (empty or not an OSM XML file)".into(),
            });
        }
        c.build(&path.display().to_string())
    }
}

fn str_attr(e: &BytesStart<'_>, key: &[u8]) -> std::result::Result<String, String> {
    let name = String::from_utf8_lossy(key).into_owned();
    let tag = String::from_utf8_lossy(e.name().as_ref()).into_owned();
    let a = e
        .try_get_attribute(key)
        .map_err(|err| format!("<{tag}> attribute `{name}`: {err}"))?
        .ok_or_else(|| format!("<{tag}> lacks attribute `{name}`"))?;
    a.unescape_value()
        .map(|v| v.into_owned())
        .map_err(|err| format!("<{tag}> attribute `{name}`: {err}"))
}

fn int_attr(e: &BytesStart<'_>, key: &[u8]) -> std::result::Result<i64, String> {
    let s = str_attr(e, key)?;
    s.trim().parse().map_err(|_| {
        format!(
            "attribute `{}` = {s:?} is not an integer",
            String::from_utf8_lossy(key)
        )
    })
}

fn float_attr(e: &BytesStart<'_>, key: &[u8]) -> std::result::Result<f64, String> {
    let s = str_attr(e, key)?;
    s.trim().parse().map_err(|_| {
        format!(
            "attribute `{}` = {s:?} is not a number",
            String::from_utf8_lossy(key)
        )
    })
}
