package io.switchboard.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.switchboard.ControlPlane;
import io.switchboard.tenancy.OrganizationService;
import io.switchboard.tenancy.Principal;

/** What the load generators share: free ports, and an organisation to load with its owner. */
final class Bench {

    private Bench() {
    }

    /** The bench organisation and its owner's principal. */
    record Tenant(UUID organizationId, Principal owner) {
    }

    /** Bootstraps the platform operator on a fresh database, then creates the bench organisation on {@code plan}. */
    static Tenant tenant(ControlPlane plane, String plan) {
        OrganizationService.Created op = plane.organizations().bootstrap("Operator", "ops@example.com").orElseThrow();
        Principal operator = plane.apiKeys().authenticate(op.ownerKey().secret(), "bench");
        OrganizationService.Created org = plane.organizations().create(operator, "Bench", plan, "owner@bench.example",
                "Owner");
        return new Tenant(org.organization().id(), plane.apiKeys().authenticate(org.ownerKey().secret(), "bench"));
    }

    /**
     * A dev stack's configuration for a benchmark: its own temporary home, free ports for the embedded PostgreSQL
     * and S3, an ephemeral API port, then {@code settings}, over the shipped defaults; nothing read from the
     * environment or system properties, so a run measures what its command line says.
     */
    static Config devStack(String name, Map<String, String> settings) throws IOException {
        Map<String, String> all = new HashMap<>(Map.of(
                "dev.home", Files.createTempDirectory(name).toString(),
                "dev.postgres-port", Integer.toString(freePort()),
                "dev.s3-port", Integer.toString(freePort()),
                "server.port", "0"));
        all.putAll(settings);
        return Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource()
                .addSource(ConfigSources.create(all))
                .addSource(ConfigSources.classpath("switchboard-defaults.yaml"))
                .build();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
