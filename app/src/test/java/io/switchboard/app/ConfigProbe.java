package io.switchboard.app;

import io.switchboard.common.Configs;

/**
 * Prints what the application's configuration holds for each key given, one {@code key=value} line each (an absent
 * key prints nothing), loaded exactly as {@code Main} loads it: for tests that set the environment of a real process.
 */
public final class ConfigProbe {

    private ConfigProbe() {
    }

    public static void main(String[] keys) {
        var config = Configs.load(null);
        for (String key : keys) {
            config.get(key).asString().ifPresent(v -> System.out.println(key + "=" + v));
        }
    }
}
