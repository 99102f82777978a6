-- The fill rate a hauler plans with for a bin (its land-use zone's or
-- container type's figure, fill fraction per day) and how uncertain that
-- figure is (log-scale sd). The forecast uses it as the rate prior until the
-- bin has history of its own; NULL means the model's default prior.
ALTER TABLE bins
    ADD COLUMN fill_rate_prior double precision
        CHECK (fill_rate_prior >= 0.0001 AND fill_rate_prior <= 10),
    ADD COLUMN fill_rate_prior_log_sd double precision
        CHECK (fill_rate_prior_log_sd >= 0.01 AND fill_rate_prior_log_sd <= 5),
    ADD CONSTRAINT bins_fill_rate_prior_sd_needs_rate
        CHECK (fill_rate_prior_log_sd IS NULL OR fill_rate_prior IS NOT NULL);
