//! Bins and their service windows.

use crate::{Bin, BinId, NewBin, Store, StoreError};

impl Store {
    /// Registers a bin and its time windows in one transaction.
    pub async fn insert_bin(&self, bin: &NewBin) -> Result<BinId, StoreError> {
        let ids = self.insert_bins(std::slice::from_ref(bin)).await?;
        Ok(ids[0])
    }

    /// The bin with `id`, if registered.
    pub async fn bin(&self, id: BinId) -> Result<Option<Bin>, StoreError> {
        let row = sqlx::query!(
            r#"SELECT id, ST_X(geom) AS "lon!", ST_Y(geom) AS "lat!", capacity_litres, waste_stream,
                      service_time_s, container_type, customer
               FROM bins WHERE id = $1"#,
            id.0
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| Bin {
            id: BinId(r.id),
            lon: r.lon,
            lat: r.lat,
            capacity_litres: r.capacity_litres,
            waste_stream: r.waste_stream,
            service_time_s: r.service_time_s,
            container_type: r.container_type,
            customer: r.customer,
        }))
    }

    /// Bins within `radius_m` metres of a point, nearest first (uses the GiST index).
    pub async fn bins_near(
        &self,
        lon: f64,
        lat: f64,
        radius_m: f64,
    ) -> Result<Vec<BinId>, StoreError> {
        let ids = sqlx::query_scalar!(
            r#"SELECT id FROM bins
               WHERE ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography, $3)
               ORDER BY geom <-> ST_SetSRID(ST_MakePoint($1, $2), 4326)"#,
            lon,
            lat,
            radius_m
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().map(BinId).collect())
    }
}

/// Where a point to import falls ([`Store::locate_points`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PointPlacement {
    /// The first region (by name) whose polygon covers it, if any.
    pub region: Option<String>,
    /// Whether a bin is already stored at exactly these coordinates.
    pub bin_exists: bool,
}

impl Store {
    /// For each `(lon, lat)`, the region that covers it and whether a bin
    /// already stands there, so a bulk import can refuse rows before writing.
    pub async fn locate_points(
        &self,
        points: &[[f64; 2]],
    ) -> Result<Vec<PointPlacement>, StoreError> {
        let lon: Vec<f64> = points.iter().map(|p| p[0]).collect();
        let lat: Vec<f64> = points.iter().map(|p| p[1]).collect();
        let rows: Vec<(Option<String>, bool)> = sqlx::query_as(
            "SELECT (SELECT r.name FROM regions r WHERE ST_Covers(r.geom, p.g) ORDER BY r.name LIMIT 1),
                    EXISTS (SELECT 1 FROM bins b WHERE ST_Equals(b.geom, p.g))
             FROM (SELECT u.o, ST_SetSRID(ST_MakePoint(u.x, u.y), 4326) AS g
                   FROM UNNEST($1::float8[], $2::float8[]) WITH ORDINALITY AS u(x, y, o)) p
             ORDER BY p.o",
        )
        .bind(&lon)
        .bind(&lat)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(region, bin_exists)| PointPlacement { region, bin_exists })
            .collect())
    }

    /// Registers many bins and their windows in one transaction: all or none.
    pub async fn insert_bins(&self, bins: &[NewBin]) -> Result<Vec<BinId>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut ids = Vec::with_capacity(bins.len());
        for bin in bins {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO bins (geom, capacity_litres, waste_stream, service_time_s, container_type, customer,
                                   fill_rate_prior, fill_rate_prior_log_sd)
                 VALUES (ST_SetSRID(ST_MakePoint($1, $2), 4326), $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(bin.lon)
            .bind(bin.lat)
            .bind(bin.capacity_litres)
            .bind(&bin.waste_stream)
            .bind(bin.service_time_s)
            .bind(&bin.container_type)
            .bind(&bin.customer)
            .bind(bin.rate_prior.map(|p| p.rate_per_day))
            .bind(bin.rate_prior.map(|p| p.log_sd))
            .fetch_one(&mut *tx)
            .await?;
            for w in &bin.time_windows {
                sqlx::query(
                    "INSERT INTO bin_time_windows (bin_id, weekday, opens_s, closes_s) VALUES ($1, $2, $3, $4)",
                )
                .bind(id)
                .bind(w.weekday)
                .bind(w.opens_s)
                .bind(w.closes_s)
                .execute(&mut *tx)
                .await?;
            }
            ids.push(BinId(id));
        }
        tx.commit().await?;
        Ok(ids)
    }
}
