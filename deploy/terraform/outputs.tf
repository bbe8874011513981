output "url" {
  description = "HTTPS address of oncefleet (point your DNS name for the certificate at load_balancer_dns_name)."
  value       = "https://${aws_lb.main.dns_name}"
}

output "load_balancer_dns_name" {
  description = "DNS name of the load balancer, for a CNAME or alias record."
  value       = aws_lb.main.dns_name
}

output "load_balancer_zone_id" {
  description = "Hosted zone of the load balancer, for a Route 53 alias record."
  value       = aws_lb.main.zone_id
}

output "streamer_path" {
  description = "Path of the Data Streamer endpoint to configure in the 1NCE portal, under your HTTPS host name."
  value       = "/api/v1/streamer"
}

output "streamer_password_secret_arn" {
  description = "Secrets Manager secret holding the generated Data Streamer password (aws secretsmanager get-secret-value)."
  value       = aws_secretsmanager_secret.streamer_password.arn
}

output "once_client_secret_arn" {
  description = "Secrets Manager secret for the 1NCE client secret; put the value there when once_client_secret was left empty."
  value       = aws_secretsmanager_secret.once_client_secret.arn
}

output "cluster_name" {
  description = "ECS cluster name."
  value       = aws_ecs_cluster.main.name
}

output "serve_service_name" {
  description = "ECS service running oncefleet serve."
  value       = aws_ecs_service.serve.name
}

output "worker_service_name" {
  description = "ECS service running oncefleet worker."
  value       = aws_ecs_service.worker.name
}

output "database_endpoint" {
  description = "RDS PostgreSQL endpoint (host:port)."
  value       = aws_db_instance.main.endpoint
}

output "redis_endpoint" {
  description = "ElastiCache Redis primary endpoint."
  value       = aws_elasticache_replication_group.main.primary_endpoint_address
}

output "log_group" {
  description = "CloudWatch log group of every task (streams serve/…, worker/…, migrate/…)."
  value       = aws_cloudwatch_log_group.main.name
}
