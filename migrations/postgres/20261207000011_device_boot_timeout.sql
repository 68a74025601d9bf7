-- A device's own boot timeout (docs/API.md, "Probe settings"): the seconds a
-- woken machine has to show up before its wake's verdict is no_sign_of_life.
-- NULL: the server's default (--wake-boot-timeout-seconds).
ALTER TABLE devices ADD COLUMN boot_timeout_s INTEGER
    CHECK (boot_timeout_s BETWEEN 1 AND 3600);
