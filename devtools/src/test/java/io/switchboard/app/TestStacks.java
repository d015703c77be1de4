package io.switchboard.app;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.switchboard.devtools.DevStack;
import io.switchboard.sdk.ApiKeyCredentials;
import io.switchboard.v1.CreateOrganizationRequest;
import io.switchboard.v1.OrganizationServiceGrpc;

/** The dev stack as the end-to-end tests start it: its own data directory and free ports, plus their settings. */
final class TestStacks {

    private TestStacks() {
    }

    static DevStack start(Path home, Map<String, String> settings) throws Exception {
        Map<String, String> all = new HashMap<>(Map.of(
                "dev.home", home.toString(),
                "dev.postgres-port", Integer.toString(freePort()),
                "dev.s3-port", Integer.toString(freePort()),
                "server.port", "0"));
        all.put("dev.softphone.demo-callees", "false"); // the tests script their callees; unscripted ones read the recording
        all.putAll(settings);
        return DevStack.start(Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource()
                .addSource(ConfigSources.create(all))
                .addSource(ConfigSources.classpath("switchboard-defaults.yaml"))
                .build());
    }

    /** A new organisation on {@code plan}, created with the operator key; returns its owner's key. */
    static String organization(ManagedChannel channel, String operatorKey, String name, String plan) {
        return OrganizationServiceGrpc.newBlockingStub(channel).withCallCredentials(bearer(operatorKey))
                .createOrganization(CreateOrganizationRequest.newBuilder().setName(name).setPlanId(plan)
                        .setOwnerEmail("ops@" + name.toLowerCase(java.util.Locale.ROOT) + ".example").build())
                .getOwnerApiKey().getSecret();
    }

    /** Closes what a test class started, either of them possibly never started. */
    static void stop(ManagedChannel channel, DevStack stack) throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        }
        if (stack != null) {
            stack.close();
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static CallCredentials bearer(String key) {
        return ApiKeyCredentials.of(key);
    }
}
