"""Pro sold through Stripe: Checkout for /upgrade, the Customer Portal, webhook events."""
