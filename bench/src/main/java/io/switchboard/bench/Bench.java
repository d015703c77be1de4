package io.switchboard.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.UUID;

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

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
