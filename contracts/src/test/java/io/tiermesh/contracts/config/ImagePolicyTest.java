package io.tiermesh.contracts.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ImagePolicyTest {

  private final ImagePolicy policy = new ImagePolicy(
      List.of("img.example.com", "*.cdn.example.org", "127.0.0.1"));

  @Test
  void defaultAllowsNothing() {
    assertFalse(ImagePolicy.NONE.allows("https://img.example.com/a.png"));
    assertFalse(new ImagePolicy(null).allows("https://img.example.com/a.png"));
  }

  @Test
  void exactHostOverHttpsOnly() {
    assertTrue(policy.allows("https://img.example.com/a.png"));
    assertTrue(policy.allows("https://IMG.example.com:8443/a.png?x=1"));
    assertFalse(policy.allows("http://img.example.com/a.png"));
    assertFalse(policy.allows("ftp://img.example.com/a.png"));
    assertFalse(policy.allows("https://evil.img.example.com/a.png"));
    assertFalse(policy.allows("https://img.example.com.evil.net/a.png"));
  }

  @Test
  void wildcardMatchesSubdomainsNotTheDomain() {
    assertTrue(policy.allows("https://a.cdn.example.org/x.png"));
    assertTrue(policy.allows("https://a.b.cdn.example.org/x.png"));
    assertFalse(policy.allows("https://cdn.example.org/x.png"));
    assertFalse(policy.allows("https://xcdn.example.org/x.png"));
  }

  @Test
  void userInfoAndJunkAreRefused() {
    assertFalse(policy.allows("https://img.example.com@evil.net/a.png"));
    assertFalse(policy.allows("https://evil.net\\@img.example.com/a.png"));
    assertFalse(policy.allows("not a url"));
    assertFalse(policy.allows("data:image/png;base64,AAAA"));
  }

  @Test
  void localMachineOnlyWhenListedExactly() {
    assertTrue(policy.allows("http://127.0.0.1:9000/a.png"));
    assertFalse(policy.allows("http://localhost:9000/a.png"));
    assertFalse(new ImagePolicy(List.of("*.0.0.1")).allows("http://127.0.0.1/a.png"));
    assertFalse(new ImagePolicy(List.of("*.localhost")).allows("https://a.localhost/a.png"));
    assertTrue(new ImagePolicy(List.of("localhost")).allows("http://localhost:1/a.png"));
    assertFalse(new ImagePolicy(List.of("*.0.5")).allows("https://10.0.0.5/a.png"));
  }

  @Test
  void badPatternsAreNamedByIndex() {
    List<String> problems = new ImagePolicy(List.of("ok.example.com", "https://x.com/",
        "*", "*.com", "", "a.*.com")).problems();
    assertEquals(5, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("'images.remoteAllow[1]'"), problems.get(0));
    assertTrue(new ImagePolicy(List.of("*.example.com", "127.0.0.1")).problems().isEmpty());
  }
}
