-- Crew hours cost money too: a plan that prices distance alone lets a truck
-- wait at the depot until lunch. The nightly job prices both, as the replay does.
ALTER TABLE trucks
    ADD COLUMN cost_per_hour double precision NOT NULL DEFAULT 40.0
        CHECK (cost_per_hour >= 0 AND cost_per_hour < 1e6);
