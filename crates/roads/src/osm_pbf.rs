//! OSM PBF reader (the format Geofabrik and BBBike distribute).

use std::path::Path;

use osmpbf::{Element, ElementReader};

use crate::error::{Result, RoadsError};
use crate::network::RoadNetwork;
use crate::osm::OsmCollector;

impl RoadNetwork {
    /// Reads an `.osm.pbf` extract. Holds every node coordinate of the file in
    /// memory (about 40 B each): fine for city and small-country extracts.
    pub fn from_osm_pbf(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let meta = std::fs::metadata(path).map_err(|source| RoadsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if meta.len() == 0 {
            return Err(RoadsError::Pbf {
                path: path.to_path_buf(),
                message: "file is empty".into(),
            });
        }
        let pbf = |e: osmpbf::Error| RoadsError::Pbf {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let reader = ElementReader::from_path(path).map_err(pbf)?;
        let mut c = OsmCollector::default();
        reader
            .for_each(|el| match el {
                Element::Node(n) => c.node(n.id(), n.lon(), n.lat()),
                Element::DenseNode(n) => c.node(n.id(), n.lon(), n.lat()),
                Element::Way(w) => {
                    let tags: Vec<(&str, &str)> = w.tags().collect();
                    c.way(w.refs().collect(), |k| {
                        tags.iter().find(|(a, _)| *a == k).map(|(_, v)| *v)
                    });
                }
                Element::Relation(_) => {}
            })
            .map_err(pbf)?;
        c.build(&path.display().to_string())
    }
}
