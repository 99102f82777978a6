-- fillroute's data spine: the physical network (depots, disposal sites, bins,
-- roads), the camera fleet and what it uploads, the readings and service events
-- derived from it, per-bin forecasts, and the plans the planner writes.
-- All geometry is WGS 84 (SRID 4326). Status-like columns are text with CHECK
-- constraints rather than enums so that adding a value is a one-line migration.

CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE depots (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    geom        geometry(Point, 4326) NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX depots_geom_gix ON depots USING gist (geom);

CREATE TABLE disposal_sites (
    id             bigserial PRIMARY KEY,
    name           text NOT NULL,
    geom           geometry(Point, 4326) NOT NULL,
    waste_streams  text[] NOT NULL DEFAULT '{}',
    service_time_s integer NOT NULL DEFAULT 900 CHECK (service_time_s >= 0),
    opens_s        integer NOT NULL DEFAULT 0 CHECK (opens_s BETWEEN 0 AND 86400),
    closes_s       integer NOT NULL DEFAULT 86400 CHECK (closes_s BETWEEN 0 AND 86400),
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (opens_s < closes_s)
);
CREATE INDEX disposal_sites_geom_gix ON disposal_sites USING gist (geom);

CREATE TABLE bins (
    id              bigserial PRIMARY KEY,
    geom            geometry(Point, 4326) NOT NULL,
    capacity_litres integer NOT NULL CHECK (capacity_litres > 0),
    waste_stream    text NOT NULL,
    service_time_s  integer NOT NULL CHECK (service_time_s >= 0),
    container_type  text NOT NULL,
    customer        text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bins_geom_gix ON bins USING gist (geom);

-- When a bin may be serviced, in seconds after local midnight; weekday NULL
-- means every day (0 = Monday). No rows means any time.
CREATE TABLE bin_time_windows (
    bin_id   bigint NOT NULL REFERENCES bins (id) ON DELETE CASCADE,
    weekday  smallint CHECK (weekday BETWEEN 0 AND 6),
    opens_s  integer NOT NULL CHECK (opens_s BETWEEN 0 AND 86400),
    closes_s integer NOT NULL CHECK (closes_s BETWEEN 0 AND 86400),
    CHECK (opens_s < closes_s)
);
CREATE INDEX bin_time_windows_bin_idx ON bin_time_windows (bin_id);

CREATE TABLE trucks (
    id              bigserial PRIMARY KEY,
    name            text NOT NULL,
    depot_id        bigint NOT NULL REFERENCES depots (id),
    capacity_litres integer NOT NULL CHECK (capacity_litres > 0),
    waste_streams   text[] NOT NULL DEFAULT '{}',
    shift_start_s   integer NOT NULL DEFAULT 21600 CHECK (shift_start_s BETWEEN 0 AND 86400),
    shift_end_s     integer NOT NULL DEFAULT 57600 CHECK (shift_end_s BETWEEN 0 AND 86400),
    cost_per_km     double precision NOT NULL DEFAULT 1.0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (shift_start_s < shift_end_s)
);

-- Cameras. The token is only ever stored as an argon2 PHC string.
CREATE TABLE devices (
    id                uuid PRIMARY KEY,
    bin_id            bigint NOT NULL REFERENCES bins (id),
    token_hash        text NOT NULL,
    firmware          text,
    cadence_s         integer NOT NULL DEFAULT 21600 CHECK (cadence_s > 0),
    max_upload_bytes  integer NOT NULL DEFAULT 8388608 CHECK (max_upload_bytes > 0),
    uploads_per_minute integer NOT NULL DEFAULT 60 CHECK (uploads_per_minute > 0),
    health_flags      text[] NOT NULL DEFAULT '{}',
    last_seen         timestamptz,
    revoked_at        timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX devices_bin_idx ON devices (bin_id);

CREATE TABLE images (
    id             uuid PRIMARY KEY,
    device_id      uuid NOT NULL REFERENCES devices (id),
    bin_id         bigint NOT NULL REFERENCES bins (id),
    captured_at    timestamptz NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now(),
    sha256         text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    object_key     text NOT NULL,
    size_bytes     integer NOT NULL CHECK (size_bytes > 0),
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'classified', 'failed')),
    failure_reason text,
    -- Set once JetStream acknowledged the publish; the sweeper re-publishes
    -- pending images where it is still NULL after a grace period.
    published_at   timestamptz,
    health_flags   text[] NOT NULL DEFAULT '{}',
    -- The idempotency key of an upload.
    UNIQUE (device_id, captured_at, sha256)
);
CREATE INDEX images_bin_time_idx ON images (bin_id, captured_at);
CREATE INDEX images_pending_idx ON images (received_at) WHERE status = 'pending';

CREATE TABLE fill_readings (
    id                  bigserial PRIMARY KEY,
    bin_id              bigint NOT NULL REFERENCES bins (id),
    observed_at         timestamptz NOT NULL,
    fill_fraction       real NOT NULL CHECK (fill_fraction >= 0 AND fill_fraction <= 1.5),
    class_probabilities real[] NOT NULL DEFAULT '{}',
    source              text NOT NULL CHECK (source IN ('camera', 'sensor', 'driver')),
    sensor_kind         text CHECK (sensor_kind IN ('ultrasonic', 'weight')),
    model_version       text,
    device_id           uuid REFERENCES devices (id),
    -- One reading per image at most: this is what makes the workers'
    -- effect exactly-once under redelivery.
    image_id            uuid UNIQUE REFERENCES images (id),
    created_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((source = 'camera') = (image_id IS NOT NULL))
);
CREATE INDEX fill_readings_bin_time_idx ON fill_readings (bin_id, observed_at);

-- Road network (from OSM): nodes and directed edges.
CREATE TABLE road_nodes (
    id   bigint PRIMARY KEY,
    geom geometry(Point, 4326) NOT NULL
);
CREATE INDEX road_nodes_geom_gix ON road_nodes USING gist (geom);

CREATE TABLE road_edges (
    id            bigserial PRIMARY KEY,
    source        bigint NOT NULL REFERENCES road_nodes (id),
    target        bigint NOT NULL REFERENCES road_nodes (id),
    geom          geometry(LineString, 4326) NOT NULL,
    length_m      double precision NOT NULL CHECK (length_m >= 0),
    travel_time_s double precision NOT NULL CHECK (travel_time_s >= 0),
    highway       text
);
CREATE INDEX road_edges_geom_gix ON road_edges USING gist (geom);
CREATE INDEX road_edges_source_idx ON road_edges (source);
CREATE INDEX road_edges_target_idx ON road_edges (target);

-- Plans written by the planning service.
CREATE TABLE plans (
    id            bigserial PRIMARY KEY,
    created_at    timestamptz NOT NULL DEFAULT now(),
    horizon_start timestamptz NOT NULL,
    horizon_end   timestamptz NOT NULL,
    status        text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'executed', 'cancelled')),
    objective     double precision,
    solver        text,
    params        jsonb NOT NULL DEFAULT '{}',
    CHECK (horizon_start < horizon_end)
);

CREATE TABLE plan_routes (
    id             bigserial PRIMARY KEY,
    plan_id        bigint NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    truck_id       bigint NOT NULL REFERENCES trucks (id),
    seq            integer NOT NULL,
    geom           geometry(LineString, 4326),
    distance_m     double precision NOT NULL DEFAULT 0,
    duration_s     double precision NOT NULL DEFAULT 0,
    load_litres    integer NOT NULL DEFAULT 0,
    UNIQUE (plan_id, seq)
);
CREATE INDEX plan_routes_geom_gix ON plan_routes USING gist (geom);

CREATE TABLE plan_stops (
    id               bigserial PRIMARY KEY,
    route_id         bigint NOT NULL REFERENCES plan_routes (id) ON DELETE CASCADE,
    seq              integer NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('bin', 'disposal', 'depot')),
    bin_id           bigint REFERENCES bins (id),
    disposal_site_id bigint REFERENCES disposal_sites (id),
    depot_id         bigint REFERENCES depots (id),
    eta              timestamptz,
    expected_fill    real,
    UNIQUE (route_id, seq),
    CHECK ((kind = 'bin') = (bin_id IS NOT NULL)),
    CHECK ((kind = 'disposal') = (disposal_site_id IS NOT NULL)),
    CHECK ((kind = 'depot') = (depot_id IS NOT NULL))
);
CREATE INDEX plan_stops_bin_eta_idx ON plan_stops (bin_id, eta);

CREATE TABLE service_events (
    id           bigserial PRIMARY KEY,
    bin_id       bigint NOT NULL REFERENCES bins (id),
    serviced_at  timestamptz NOT NULL,
    detection    text NOT NULL CHECK (detection IN ('fill_drop', 'driver', 'plan')),
    fill_before  real,
    fill_after   real,
    -- The reading that revealed the drop; unique so redelivery cannot double it.
    reading_id   bigint UNIQUE REFERENCES fill_readings (id),
    plan_stop_id bigint REFERENCES plan_stops (id),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX service_events_bin_time_idx ON service_events (bin_id, serviced_at);

-- Latest forecast per bin, replaced whenever a reading lands.
CREATE TABLE bin_forecasts (
    bin_id          bigint PRIMARY KEY REFERENCES bins (id),
    computed_at     timestamptz NOT NULL DEFAULT now(),
    level_after     real NOT NULL,
    rate_per_hour   real NOT NULL,
    full_at         timestamptz,
    full_at_low     timestamptz,
    full_at_high    timestamptz,
    readings_used   integer NOT NULL,
    method          text NOT NULL
);
