package io.switchboard.server.console;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.spi.ServerFeature;
import io.helidon.webserver.staticcontent.ClasspathHandlerConfig;
import io.helidon.webserver.staticcontent.StaticContentFeature;

/**
 * Serves the web console on the API port: the front-end in {@code console/} of the repository, built by Vite
 * into {@code console/dist} (committed) and packaged by the server module as the classpath resources
 * {@code console/}. The console is at {@link #PATH}{@code /}; {@code GET /} redirects there. It speaks
 * grpc-web to the origin it was loaded from, so it needs no CORS.
 */
public final class ConsoleRoutes implements ServerFeature {

    public static final String PATH = "/console";
    private static final String RESOURCES = "console";

    private ConsoleRoutes() {
    }

    public static ConsoleRoutes feature() {
        return new ConsoleRoutes();
    }

    @Override
    public void setup(ServerFeatureContext features) {
        HttpRouting.Builder routing = features.socket(WebServer.DEFAULT_SOCKET_NAME).httpRouting();
        routing.get("/", (req, res) -> res.status(Status.SEE_OTHER_303).header(HeaderNames.LOCATION, PATH + "/").send());
        routing.get(PATH, (req, res) -> res.status(Status.MOVED_PERMANENTLY_301).header(HeaderNames.LOCATION, PATH + "/")
                .send());
        routing.register(PATH, StaticContentFeature.createService(ClasspathHandlerConfig.builder()
                .location(RESOURCES)
                .welcome("index.html")
                .build()));
    }

    @Override
    public String name() {
        return "switchboard-console";
    }

    @Override
    public String type() {
        return "switchboard-console";
    }
}
