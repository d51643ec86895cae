"""WeChat's side of the domain: visitors, message claims, bind codes, credentials, deliveries, sandbox."""
