-- The planning service: named, versioned road networks (a re-import replaces
-- the graph and bumps the version, which is what matrix caches key on),
-- regions a nightly job plans, per-bin decisions stored with the plan that
-- used them, and plan states where a committed plan can no longer change.

CREATE TABLE road_networks (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    version     integer NOT NULL DEFAULT 1 CHECK (version > 0),
    -- Content hash from fillroute-roads (hex); equal graphs have equal fingerprints.
    fingerprint text NOT NULL,
    source_file text NOT NULL,
    node_count  integer NOT NULL,
    edge_count  integer NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now()
);

-- Node ids become per-network indices (0..n), so two networks never collide
-- and GeoJSON networks (no OSM ids) fit the same table.
ALTER TABLE road_edges DROP CONSTRAINT road_edges_source_fkey;
ALTER TABLE road_edges DROP CONSTRAINT road_edges_target_fkey;
ALTER TABLE road_nodes DROP CONSTRAINT road_nodes_pkey;
ALTER TABLE road_nodes ADD COLUMN network_id bigint NOT NULL REFERENCES road_networks (id) ON DELETE CASCADE;
ALTER TABLE road_nodes ADD COLUMN osm_id bigint;
ALTER TABLE road_nodes ADD PRIMARY KEY (network_id, id);
ALTER TABLE road_edges ADD COLUMN network_id bigint NOT NULL REFERENCES road_networks (id) ON DELETE CASCADE;
ALTER TABLE road_edges ADD FOREIGN KEY (network_id, source) REFERENCES road_nodes (network_id, id) ON DELETE CASCADE;
ALTER TABLE road_edges ADD FOREIGN KEY (network_id, target) REFERENCES road_nodes (network_id, id) ON DELETE CASCADE;
DROP INDEX road_edges_source_idx;
DROP INDEX road_edges_target_idx;
CREATE INDEX road_edges_network_idx ON road_edges (network_id, source);
-- Deleting a network's nodes checks both foreign keys: index the heads too.
CREATE INDEX road_edges_network_target_idx ON road_edges (network_id, target);

-- A planning region: the bins inside its polygon, collected by the trucks of
-- its depot on its road network, with one lunch rule for its drivers.
CREATE TABLE regions (
    id              bigserial PRIMARY KEY,
    name            text NOT NULL UNIQUE,
    geom            geometry(Polygon, 4326) NOT NULL,
    depot_id        bigint NOT NULL REFERENCES depots (id),
    network_id      bigint NOT NULL REFERENCES road_networks (id),
    utc_offset_s    integer NOT NULL DEFAULT 0 CHECK (utc_offset_s BETWEEN -50400 AND 50400),
    lunch_opens_s   integer NOT NULL DEFAULT 41400 CHECK (lunch_opens_s BETWEEN 0 AND 86400),
    lunch_closes_s  integer NOT NULL DEFAULT 48600 CHECK (lunch_closes_s BETWEEN 0 AND 86400),
    lunch_minutes   integer NOT NULL DEFAULT 30 CHECK (lunch_minutes >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (lunch_opens_s <= lunch_closes_s)
);
CREATE INDEX regions_geom_gix ON regions USING gist (geom);

-- Contractual maximum days between two services, when there is a contract.
ALTER TABLE bins ADD COLUMN max_interval_days double precision CHECK (max_interval_days > 0);

-- Open requests to empty a bin outside the plan.
CREATE TABLE collection_requests (
    id           bigserial PRIMARY KEY,
    bin_id       bigint NOT NULL REFERENCES bins (id),
    source       text NOT NULL CHECK (source IN ('customer', 'driver')),
    requested_at timestamptz NOT NULL DEFAULT now(),
    resolved_at  timestamptz
);
CREATE INDEX collection_requests_open_idx ON collection_requests (bin_id) WHERE resolved_at IS NULL;

ALTER TABLE plans DROP CONSTRAINT plans_status_check;
ALTER TABLE plans ADD CHECK (status IN ('draft', 'committed', 'published', 'executed', 'cancelled'));
ALTER TABLE plans ADD COLUMN region_id bigint REFERENCES regions (id);
ALTER TABLE plans ADD COLUMN plan_date date;
ALTER TABLE plans ADD COLUMN network_id bigint REFERENCES road_networks (id);
ALTER TABLE plans ADD COLUMN network_version integer;
-- A re-plan after a breakdown points at the plan it continues.
ALTER TABLE plans ADD COLUMN parent_plan_id bigint REFERENCES plans (id);
ALTER TABLE plans ADD COLUMN distance_m double precision NOT NULL DEFAULT 0;
ALTER TABLE plans ADD COLUMN duration_s double precision NOT NULL DEFAULT 0;
ALTER TABLE plans ADD COLUMN committed_at timestamptz;
-- One nightly draft per region and date: a re-run replaces it.
CREATE UNIQUE INDEX plans_one_draft_idx ON plans (region_id, plan_date)
    WHERE status = 'draft' AND parent_plan_id IS NULL;

ALTER TABLE plan_stops DROP CONSTRAINT plan_stops_kind_check;
ALTER TABLE plan_stops ADD CHECK (kind IN ('bin', 'disposal', 'depot', 'break'));
ALTER TABLE plan_stops ADD COLUMN departs_at timestamptz;
-- Litres on board after the stop (0 after a disposal visit).
ALTER TABLE plan_stops ADD COLUMN load_litres integer NOT NULL DEFAULT 0;
ALTER TABLE plan_stops ADD COLUMN status text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'done', 'locked'));

-- Every bin's decision for the plan's date, with the numbers behind it; an
-- unserved bin that should have been collected carries the reason.
CREATE TABLE plan_decisions (
    plan_id         bigint NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    bin_id          bigint NOT NULL REFERENCES bins (id),
    action          text NOT NULL CHECK (action IN ('must', 'may', 'skip')),
    reason          text NOT NULL,
    prize           double precision,
    fill_now        double precision NOT NULL,
    p_overflow      double precision NOT NULL,
    numbers         jsonb NOT NULL,
    explanation     text NOT NULL,
    unserved_reason text,
    PRIMARY KEY (plan_id, bin_id)
);
CREATE INDEX plan_decisions_bin_idx ON plan_decisions (bin_id);

-- Committed plans are immutable: only their status may move on (executed,
-- cancelled), and neither they nor their routes and stops may be deleted.
CREATE FUNCTION plans_guard_committed() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status = 'committed' THEN
            RAISE EXCEPTION 'plan % is committed and cannot be deleted', OLD.id USING ERRCODE = '23514';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status = 'committed' AND (NEW.status NOT IN ('committed', 'executed', 'cancelled')
        OR (to_jsonb(NEW) - 'status') IS DISTINCT FROM (to_jsonb(OLD) - 'status')) THEN
        RAISE EXCEPTION 'plan % is committed and cannot be changed', OLD.id USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER plans_guard_committed BEFORE UPDATE OR DELETE ON plans
    FOR EACH ROW EXECUTE FUNCTION plans_guard_committed();
