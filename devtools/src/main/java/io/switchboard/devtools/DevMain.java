package io.switchboard.devtools;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.helidon.config.Config;
import io.switchboard.app.Command;
import io.switchboard.app.Main;
import io.switchboard.app.Shutdown;

/**
 * The launcher of a source checkout: production's command table ({@link Main#commands()}) with {@code dev}, the
 * embedded stack, in place of the stub that tells a production jar's user where it went. {@code ./switchboard dev}
 * runs this class; production jars and the container image carry {@link Main} alone, so neither this module nor
 * the embedded PostgreSQL, S3 and softphone it brings reach them.
 */
public final class DevMain {

    private DevMain() {
    }

    public static void main(String[] args) {
        System.exit(Main.run(List.of(args), commands(), System.out, System.err));
    }

    /** {@link Main#commands()}, with {@code dev} running {@link DevStack}. */
    public static Map<String, Command> commands() {
        Map<String, Command> table = new LinkedHashMap<>(Main.commands());
        table.put("dev", Main.configured(DevMain::dev));
        return table;
    }

    private static void dev(Config config) throws Exception {
        DevStack stack = DevStack.start(config);
        stack.printBanner();
        Shutdown.await(stack::close);
    }
}
