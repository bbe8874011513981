# Secrets Manager holds every secret the tasks read (ONCEFLEET_*_URL, the 1NCE client secret, the
# Data Streamer credentials); ECS injects them as environment variables at task start.

resource "random_password" "streamer" {
  length  = 32
  special = false
}

resource "random_password" "jwt" {
  length  = 48
  special = false
}

resource "aws_secretsmanager_secret" "jwt_key" {
  name        = "${var.name}/jwt-key"
  description = "ONCEFLEET_JWT_KEY: signing key of access tokens, shared by every serve task"
}

resource "aws_secretsmanager_secret_version" "jwt_key" {
  secret_id     = aws_secretsmanager_secret.jwt_key.id
  secret_string = random_password.jwt.result
}

resource "aws_secretsmanager_secret" "database_url" {
  name        = "${var.name}/database-url"
  description = "ONCEFLEET_DATABASE_URL"
}

resource "aws_secretsmanager_secret_version" "database_url" {
  secret_id     = aws_secretsmanager_secret.database_url.id
  secret_string = "postgres://oncefleet:${random_password.db.result}@${aws_db_instance.main.endpoint}/oncefleet?sslmode=require"
}

resource "aws_secretsmanager_secret" "redis_url" {
  name        = "${var.name}/redis-url"
  description = "ONCEFLEET_REDIS_URL"
}

resource "aws_secretsmanager_secret_version" "redis_url" {
  secret_id     = aws_secretsmanager_secret.redis_url.id
  secret_string = "rediss://:${random_password.redis.result}@${aws_elasticache_replication_group.main.primary_endpoint_address}:6379/0"
}

resource "aws_secretsmanager_secret" "once_client_secret" {
  name        = "${var.name}/once-client-secret"
  description = "ONCEFLEET_ONCE_CLIENT_SECRET"
}

resource "aws_secretsmanager_secret_version" "once_client_secret" {
  count         = var.once_client_secret == "" ? 0 : 1
  secret_id     = aws_secretsmanager_secret.once_client_secret.id
  secret_string = var.once_client_secret
}

resource "aws_secretsmanager_secret" "streamer_password" {
  name        = "${var.name}/streamer-password"
  description = "ONCEFLEET_STREAMER_PASSWORD: give it to 1NCE's Data Streamer configuration"
}

resource "aws_secretsmanager_secret_version" "streamer_password" {
  secret_id     = aws_secretsmanager_secret.streamer_password.id
  secret_string = random_password.streamer.result
}
