-- A region's collection calendar (fillroute_forecast::Calendar): its bins
-- split into compact day-areas, each swept on fixed local weekdays. Built
-- by `fillroute calendar build`; the nightly job decides each bin up to its
-- area's next sweep. The other columns are the CalendarPolicy it was built
-- and is decided with.
CREATE TABLE calendars (
    region_id      bigint PRIMARY KEY REFERENCES regions (id) ON DELETE CASCADE,
    target_fill    double precision NOT NULL CHECK (target_fill BETWEEN 0.05 AND 2),
    max_per_week   smallint NOT NULL CHECK (max_per_week BETWEEN 1 AND 7),
    emergency_risk double precision NOT NULL CHECK (emergency_risk BETWEEN 0 AND 1),
    areas_per_slot integer NOT NULL CHECK (areas_per_slot BETWEEN 1 AND 50),
    sweep_fill     double precision CHECK (sweep_fill BETWEEN 0 AND 2),
    built_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE calendar_areas (
    region_id     bigint NOT NULL REFERENCES calendars (region_id) ON DELETE CASCADE,
    area          integer NOT NULL CHECK (area >= 0),
    per_week      smallint NOT NULL CHECK (per_week BETWEEN 1 AND 7),
    -- Sweep weekdays, Monday first.
    weekdays      boolean[] NOT NULL CHECK (cardinality(weekdays) = 7),
    medoid_bin_id bigint REFERENCES bins (id) ON DELETE SET NULL,
    PRIMARY KEY (region_id, area)
);

CREATE TABLE calendar_bins (
    region_id bigint NOT NULL,
    bin_id    bigint NOT NULL REFERENCES bins (id) ON DELETE CASCADE,
    area      integer NOT NULL,
    PRIMARY KEY (region_id, bin_id),
    FOREIGN KEY (region_id, area) REFERENCES calendar_areas (region_id, area) ON DELETE CASCADE
);
CREATE INDEX calendar_bins_bin_idx ON calendar_bins (bin_id);
