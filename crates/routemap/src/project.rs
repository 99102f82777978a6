//! Lon/lat to SVG coordinates: an equirectangular projection scaled by the
//! cosine of the mean latitude, which is exact enough at city scale and needs
//! no projection library.

use crate::model::MapData;

/// Maps lon/lat into a `width × height` box with a margin, north up.
pub(crate) struct Projection {
    min: [f64; 2],
    kx: f64,
    ky: f64,
    scale: f64,
    margin: f64,
    pub height: f64,
}

impl Projection {
    pub(crate) fn fit(map: &MapData, width: f64) -> Self {
        let mut min = [f64::INFINITY; 2];
        let mut max = [f64::NEG_INFINITY; 2];
        let mut add = |p: &[f64; 2]| {
            for k in 0..2 {
                min[k] = min[k].min(p[k]);
                max[k] = max[k].max(p[k]);
            }
        };
        map.roads.iter().flatten().for_each(&mut add);
        map.depots
            .iter()
            .chain(&map.disposal_sites)
            .for_each(|p| add(&p.at));
        map.bins.iter().for_each(|b| add(&b.at));
        map.routes.iter().flat_map(|r| &r.path).for_each(&mut add);
        if !min[0].is_finite() {
            min = [0.0, 0.0];
            max = [0.01, 0.01];
        }
        let mid_lat = 0.5 * (min[1] + max[1]);
        let kx = mid_lat.to_radians().cos().max(0.01);
        let ky = 1.0;
        let span_x = ((max[0] - min[0]) * kx).max(1e-6);
        let span_y = ((max[1] - min[1]) * ky).max(1e-6);
        let margin = 20.0;
        let scale = (width - 2.0 * margin) / span_x;
        let height = span_y * scale + 2.0 * margin;
        Self {
            min: [min[0], max[1]],
            kx,
            ky,
            scale,
            margin,
            height,
        }
    }

    pub(crate) fn xy(&self, p: &[f64; 2]) -> (f64, f64) {
        (
            self.margin + (p[0] - self.min[0]) * self.kx * self.scale,
            self.margin + (self.min[1] - p[1]) * self.ky * self.scale,
        )
    }
}
