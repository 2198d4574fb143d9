# syntax=docker/dockerfile:1
# The TierMesh node image: every role (gateway, router, budget, provider:<id>) runs from it,
# chosen at start with --roles. Build: docker build -t tiermesh:0.1.0 .

# --- build: the runnable node jar, with the JDK and Maven -------------------------------------
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
# The Maven repository is a cache mount: dependencies are downloaded once per builder.
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q -DskipTests -Dmaven.test.skip=true -pl node -am package \
    && cp node/target/tiermesh.jar /tiermesh.jar

# --- runtime: a JRE only, no build tools, not root ---------------------------------------------
FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 tiermesh \
    && useradd --system --uid 10001 --gid tiermesh --home-dir /app --shell /usr/sbin/nologin tiermesh
WORKDIR /app
COPY --from=build --chown=root:root /tiermesh.jar /app/tiermesh.jar
USER 10001:10001
# 8080 client API (gateway role), 9090 management (health, metrics), 5701 cluster.
EXPOSE 8080 9090 5701
# Heap from the container's memory limit; the jar's manifest opens the JDK internals it needs.
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError"
# Liveness on the management port (management.port in the config, 9090 in the examples),
# with bash's /dev/tcp: the runtime image needs no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9090 && printf 'GET /health/live HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
# exec form: SIGTERM reaches the JVM, which drains (drain.notReadyDelayMs, drainMs) and exits.
ENTRYPOINT ["java", "-jar", "/app/tiermesh.jar"]
CMD ["node", "--config", "/etc/tiermesh/tiermesh.yaml"]
